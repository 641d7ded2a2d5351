#!/usr/bin/env bash
# Refresh the Chart.js bundle the HTML reports inline (layers/drift_core/drift_retrain/reports/assets/).
# Chart.js comes from the npm registry at a pinned version; its source-map comment is dropped so a report
# opened with developer tools makes no request for chart.umd.min.js.map. Usage: scripts/vendor_chartjs.sh [VERSION]
set -euo pipefail
VERSION="${1:-4.6.1}"
ASSETS="$(cd "$(dirname "$0")/.." && pwd)/layers/drift_core/drift_retrain/reports/assets"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "chart.js@$VERSION" >/dev/null && tar xzf chart.js-"$VERSION".tgz)
UPSTREAM="$WORK/package/dist/chart.umd.min.js"
grep -v '^//# sourceMappingURL=' "$UPSTREAM" > "$ASSETS/chart.umd.min.js"
cp "$WORK/package/LICENSE.md" "$ASSETS/chart.js.LICENSE.md"
cat > "$ASSETS/vendor.json" <<JSON
{
  "chart.js": {
    "version": "$VERSION",
    "source": "npm chart.js@$VERSION dist/chart.umd.min.js (source-map comment removed)",
    "upstream_sha256": "$(sha256sum "$UPSTREAM" | cut -d' ' -f1)",
    "sha256": "$(sha256sum "$ASSETS/chart.umd.min.js" | cut -d' ' -f1)",
    "license": "MIT (chart.js.LICENSE.md)"
  }
}
JSON
echo "Chart.js $VERSION vendored into $ASSETS"
