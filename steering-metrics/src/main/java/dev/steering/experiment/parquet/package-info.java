/**
 * A small, dependency-free Parquet writer and reader for flat tables of strings, 32/64-bit integers, doubles and
 * booleans (required or nullable): data pages V1, PLAIN encoding, uncompressed, metadata in the Thrift compact
 * protocol. Files are readable by pyarrow/pandas, DuckDB and hyparquet; {@link dev.steering.experiment.parquet.ParquetReader}
 * reads back the subset that {@link dev.steering.experiment.parquet.ParquetWriter} produces.
 */
package dev.steering.experiment.parquet;
