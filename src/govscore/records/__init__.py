"""Facts from records: a companion file declares how each fact of a scheme is derived from
record tables (exports of the 好差评 or 信访 systems); the declarations compile to plain SQL that
DuckDB runs over CSV, Parquet and .xlsx exports (the optional extra ``govscore[records]``)."""
