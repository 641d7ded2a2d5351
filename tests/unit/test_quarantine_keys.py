"""Quarantine keys: copies and records in areas no uploaded key can reach from the other, and always
within S3's 1,024-byte key limit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from support.examples import examples

from drift_retrain.layout import MAX_KEY_BYTES, quarantine_keys

#: Keys from short to past S3's limit, with multi-byte characters and the suffixes a record could use.
_keys = st.builds(
    lambda body, suffix: f"incoming/{body}{suffix}",
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=1100),
    st.sampled_from(["", ".csv", ".error.json", ".json"]),
).filter(lambda key: len(key.encode("utf-8")) <= MAX_KEY_BYTES)


def test_an_upload_named_like_a_record_gets_its_own_record():
    copy, record = quarantine_keys("incoming/x.csv")
    assert (copy, record) == ("quarantine/files/incoming/x.csv", "quarantine/records/incoming/x.csv.json")
    for upload in ("incoming/x.csv.error.json", "incoming/x.csv.json", "records/incoming/x.csv.json"):
        assert record not in quarantine_keys(upload)


def test_a_key_at_the_limit_gets_a_fitting_hashed_copy_and_record():
    key = "incoming/" + "é" * ((MAX_KEY_BYTES - len("incoming/")) // 2)
    copy, record = quarantine_keys(key)
    assert copy.startswith("quarantine/long-files/incoming/é") and record.endswith(".json")
    assert max(len(copy.encode()), len(record.encode())) <= MAX_KEY_BYTES
    assert quarantine_keys(key[:-1] + "e") != (copy, record)  # same head, another key


@settings(max_examples=examples(400), deadline=None)
@given(_keys, _keys)
def test_every_key_fits_and_no_two_keys_share_a_copy_or_a_record(first, second):
    keys = [*quarantine_keys(first), *quarantine_keys(second)]
    assert all(len(key.encode("utf-8")) <= MAX_KEY_BYTES for key in keys)
    assert len(set(keys)) == (2 if first == second else 4)
