"""Every reason the reader gives for refusing a batch: the stable codes of ``InvalidBatchError``.

The code is what a report's ``error_code``, a quarantine record's ``code`` and metrics carry; the message
beside it says where (line, column) and what to do. docs/bad-input.md and
docs/drift-report.md list these codes (a test keeps them in step).
"""

from __future__ import annotations

__all__ = ["READ_REASONS"]

#: code -> the kind of input that gets it.
READ_REASONS: dict[str, str] = {
    # what the file is
    "unreadable": "a local path that cannot be opened (CLI)",
    "empty_file": "no bytes, or only blank lines",
    "object_too_large": "the object is over MAX_OBJECT_BYTES (from the event, the listing or while reading)",
    "decompressed_too_large": "gzip data expanding past MAX_DECOMPRESSED_BYTES",
    "compression_ratio": "gzip data expanding more than MAX_COMPRESSION_RATIO times (a decompression bomb)",
    "corrupt_gzip": "gzip data that is corrupt or truncated",
    "unsupported_compression": "bzip2, xz, zstd, LZ4, 7-Zip, RAR, or gzip inside gzip",
    "parquet": "a Parquet file",
    "zip_archive": "a zip archive (an .xlsx workbook is one)",
    "binary_file": "only NUL bytes, a known binary format (.xls, Avro, Arrow, ORC, PDF, SQLite) or binary data",
    "utf16": "UTF-16 or UTF-32 text, with or without a byte-order mark",
    # the text
    "not_utf8": "bytes that are not UTF-8 (e.g. Latin-1 accents)",
    "nul_byte": "a NUL byte (0x00) inside the text",
    "no_line_breaks": "no line break within 64 MiB",
    "carriage_return": "a carriage return inside an unquoted field (not part of a CRLF line end)",
    "stray_quote": "a double quote inside an unquoted field, or text after a closing quote",
    "unterminated_quote": "a quoted field that is never closed",
    "unparseable": "records pandas splits differently from the record scan (a guard; never seen)",
    "wrong_delimiter": "a file separated by semicolons, tabs or pipes instead of commas",
    "excel_sep_line": "Excel's 'sep=,' hint as the first line, before the header",
    "cell_too_large": "a cell over MAX_CELL_BYTES",
    # the header against the model
    "too_many_columns": "a header with more than MAX_COLUMNS columns",
    "missing_column_name": "an empty column name",
    "duplicate_columns": "a column name twice",
    "missing_columns": "a feature column of the model is absent",
    "renamed_columns": "columns missing and unexpected ones in their place; a renamed label",
    "missing_label": "training data without its label column",
    "too_few_rows": "training data with fewer than MIN_TRAINING_ROWS labelled rows",
    # the rows
    "no_rows": "a header row and no data rows",
    "ragged_row": "a record with more or fewer fields than the header",
    "not_numeric": "text in a numeric column",
    "infinite_value": "inf, -inf or a number beyond float range (1e400) in a numeric column",
    "unknown_class": "every labelled row has a class the model never saw (some: those rows are set aside)",
    # Parquet and JSON Lines (docs/input-formats.md)
    "wrong_extension": "a name that says one format (.csv, .parquet, .jsonl) over bytes of another",
    "parquet_corrupt_footer": "a Parquet footer (schema and row-group index) that cannot be decoded",
    "parquet_truncated": "a Parquet file cut short: no closing PAR1, or a column chunk past its end",
    "parquet_corrupt_data": "a Parquet page that cannot be decoded",
    "parquet_unsupported_codec": "a Parquet column compressed with a codec the reader lacks (LZO)",
    "unsupported_column": "a nested, list, map or binary column (Parquet), or an object or array (JSON)",
    "invalid_json": "a JSON Lines line that is not one JSON object",
    # partitions: incoming/<batch>/part-* completed by _SUCCESS or _manifest.json
    "partition_schema_mismatch": "parts of one partition with different columns or column types",
    "empty_partition": "a _SUCCESS or _manifest.json with no part beside it",
    "invalid_manifest": 'a _manifest.json that is not {"parts": [{"key", "size" or "etag"}]}',
    "part_missing": "a part the manifest lists that is absent, or of another size or ETag",
    "part_not_in_manifest": "a part beside a _manifest.json that the manifest does not list (not read)",
    "late_part": "a part written after its partition's marker (the partition was checked without it)",
    "part_check_failed": "a part whose check on the Distributed Map still failed after its retries",
    "csv_not_splittable": "a CSV checked in byte ranges (over SINGLE_CHECK_MAX_BYTES) with a line break in a cell",
    # data streams: incoming-stream/<name>/... accumulated into windows (docs/data-capture.md)
    "stream_name": "an object under incoming-stream/ that is not in a <name>/ folder with a valid name",
}
