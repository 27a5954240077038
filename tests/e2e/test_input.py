"""CSV dialect (RFC 4180), timestamps and numbers as the command line reads them."""
import pytest

from conftest import read_output


def run_one(tsfill, tmp_path, text, *flags, raw=False):
    src = tmp_path / "in.csv"
    if isinstance(text, bytes):
        src.write_bytes(text)
    else:
        src.write_text(text)
    out = tmp_path / "out.csv"
    tsfill("fill", src, "--output", out, "--overwrite", *flags)
    return out.read_text() if raw else read_output(out)


def test_rfc4180_quotes_newlines_crlf_bom(tsfill, tmp_path):
    text = (b'\xef\xbb\xbfdate,"the key","v, in ""quotes"""\r\n'
            b'2024-01-01T00:10:00Z,"a ""quoted"", key",1.5\r\n'
            b'\r\n'
            b'2024-01-01T00:40:00Z,"multi\r\nline",2\r\n'
            b'2024-01-01T00:50:00Z,"a ""quoted"", key",\r\n')
    header, rows = run_one(tsfill, tmp_path, text, "--keys", "the key")
    assert header == ["partition_date", "the key", "slot_ts", 'v, in "quotes"', 'v, in "quotes"_bf']
    assert rows == [["2024-01-01", 'a "quoted", key', "2024-01-01 00:00:00", "1.5", "1.5"],
                    ["2024-01-01", 'a "quoted", key', "2024-01-01 00:30:00", "", "1.5"],
                    ["2024-01-01", "multi\r\nline", "2024-01-01 00:00:00", "", ""],
                    ["2024-01-01", "multi\r\nline", "2024-01-01 00:30:00", "2", "2"]]


@pytest.mark.parametrize("stamp,slot", [
    ("2024-03-04T13:47:12Z", "2024-03-04 13:30:00"),
    ("2024-03-04 13:47:12", "2024-03-04 13:30:00"),
    ("2024-03-04T13:47:12.123456789Z", "2024-03-04 13:30:00"),
    ("2024-03-04T13:47:12,5Z", "2024-03-04 13:30:00"),
    ("2024-03-04T09:47:12-04:00", "2024-03-04 13:30:00"),
    ("2024-03-04T19:17:12+0530", "2024-03-04 13:30:00"),
    ("2024-03-04T13:47", "2024-03-04 13:30:00"),
    ("2024-03-04", "2024-03-04 00:00:00"),
    ("1969-12-31T23:59:59Z", "1969-12-31 23:30:00"),
    ("2024-02-29T23:59:59Z", "2024-02-29 23:30:00"),
])
def test_timestamp_forms(tsfill, tmp_path, stamp, slot):
    header, rows = run_one(tsfill, tmp_path, f'date,v\n"{stamp}",1\n')
    assert rows[0][1] == slot


@pytest.mark.parametrize("unit,value", [("s", "1709560032"), ("ms", "1709560032000"),
                                        ("us", "1709560032000000"), ("ns", "1709560032000000000")])
def test_epoch_integers_with_time_unit(tsfill, tmp_path, unit, value):
    _, rows = run_one(tsfill, tmp_path, f"date,v\n{value},1\n", "--time-unit", unit)
    assert rows[0][1] == "2024-03-04 13:30:00"


def test_numbers_nan_and_null_tokens(tsfill, tmp_path):
    text = "date,v\n2024-01-01T00:00Z,1e3\n2024-01-01T00:30Z,NaN\n2024-01-01T01:00Z,NA\n2024-01-01T01:30Z,null\n" \
           "2024-01-01T02:00Z, -0.25 \n2024-01-01T02:30Z,+inf\n"
    _, rows = run_one(tsfill, tmp_path, text)
    assert [r[2] for r in rows] == ["1000", "NaN", "", "", "-0.25", "inf"]
    assert [r[3] for r in rows] == ["1000", "NaN", "NaN", "NaN", "-0.25", "inf"]  # NaN is a value
    _, rows = run_one(tsfill, tmp_path, text, "--nan-is-null")
    assert [r[3] for r in rows] == ["1000", "1000", "1000", "1000", "-0.25", "inf"]
    # With only "null" as a null token, "NA" is text: v is not numeric, so not a default
    # value column, and naming it is an error that points at the cell.
    header, _ = run_one(tsfill, tmp_path, text, "--null-values", "null")
    assert header == ["partition_date", "slot_ts"]
    p = tsfill("fill", tmp_path / "in.csv", "--output", tmp_path / "x.csv", "--null-values", "null",
               "--values", "v", check=False)
    assert p.returncode == 2
    assert "row 3 (line 4), column 'v': cannot read 'NA' as a number" in p.stderr


def test_shortest_round_trip_numbers(tsfill, tmp_path):
    values = ["0.1", "1e-05", "123456789012345678", "2.5e+20", "-0", "0.30000000000000004"]
    text = "date,v\n" + "".join(f"2024-01-01T{h:02d}:00Z,{v}\n" for h, v in enumerate(values))
    _, rows = run_one(tsfill, tmp_path, text, "--slot", "1h")
    assert [float(r[2]) for r in rows] == [float(v) for v in values]
    assert [r[2] for r in rows] == ["0.1", "1e-05", "123456789012345680", "2.5e+20", "-0", "0.30000000000000004"]


def test_integer_keys_sort_numerically_string_keys_lexically(tsfill, tmp_path):
    text = "date,n,s,v\n2024-01-01T00:00Z,10,b,1\n2024-01-01T00:00Z,9,a,2\n2024-01-01T00:00Z,-1,B,3\n"
    _, rows = run_one(tsfill, tmp_path, text, "--keys", "n")
    assert [r[1] for r in rows] == ["-1", "9", "10"]
    _, rows = run_one(tsfill, tmp_path, text, "--keys", "s")
    assert [r[1] for r in rows] == ["B", "a", "b"]
    text = "date,code,v\n2024-01-01T00:00Z,007,1\n2024-01-01T00:00Z,7,2\n"
    _, rows = run_one(tsfill, tmp_path, text, "--keys", "code")
    assert [r[1] for r in rows] == ["007", "7"]  # "007" is not the integer 7


def test_sub_second_slots_print_fractions(tsfill, tmp_path):
    text = "date,v\n2024-01-01T00:00:00.100Z,1\n2024-01-01T00:00:00.700Z,2\n"
    _, rows = run_one(tsfill, tmp_path, text, "--slot", "250ms")
    assert [r[1] for r in rows] == ["2024-01-01 00:00:00", "2024-01-01 00:00:00.250",
                                    "2024-01-01 00:00:00.500"]


def test_a_directory_input_is_its_files_in_path_order(tsfill, tmp_path):
    """An INPUT directory reads every .csv/.parquet file under it, sorted by path, and skips
    hidden and staging names ('.x', '_x'), as Spark and pyarrow datasets do."""
    d = tmp_path / "landing"
    (d / "2024-01-02").mkdir(parents=True)
    (d / "_staging").mkdir()
    head = "date,k,v\n"
    (d / "2024-01-02" / "b.csv").write_text(head + "2024-01-02T00:10:00Z,a,3\n")
    (d / "a.csv").write_text(head + "2024-01-01T00:10:00Z,a,1\n2024-01-01T01:10:00Z,a,2\n")
    (d / "_staging" / "c.csv").write_text(head + "2024-01-03T00:10:00Z,a,9\n")
    (d / ".hidden.csv").write_text(head + "2024-01-03T00:10:00Z,a,9\n")
    (d / "notes.txt").write_text("not data")
    out_dir, out_files = tmp_path / "from_dir.csv", tmp_path / "from_files.csv"
    tsfill("fill", d, "--output", out_dir, "--keys", "k")
    tsfill("fill", d / "2024-01-02" / "b.csv", d / "a.csv", "--output", out_files, "--keys", "k")
    assert out_dir.read_text() == out_files.read_text()
    assert "2024-01-03" not in out_dir.read_text()


def test_an_empty_directory_input_is_an_error(tsfill, tmp_path):
    (tmp_path / "empty").mkdir()
    p = tsfill("fill", tmp_path / "empty", "--output", tmp_path / "o.csv", check=False)
    assert p.returncode == 2
    assert p.stderr.strip() == "tsfill: " + str(tmp_path / "empty") + ": the directory has no .csv or .parquet files"
