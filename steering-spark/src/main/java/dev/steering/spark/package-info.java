/**
 * Studies on Apache Spark: {@link dev.steering.spark.SparkConditionRunner} runs a study's conditions (the refusal and
 * toxicity studies', a family sweep's phases, the quantization study's (model, precision) pairs) as Spark tasks and
 * writes the same Parquet parts as the single-process run (docs/distributed.md).
 * {@code HadoopSharedRun} keeps a run directory on HDFS or S3 ({@code run-all --output hdfs://...}, {@code
 * s3a://...}) through Hadoop's FileSystem, which Spark brings.
 */
package dev.steering.spark;
