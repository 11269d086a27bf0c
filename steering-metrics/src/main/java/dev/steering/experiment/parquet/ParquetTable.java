package dev.steering.experiment.parquet;

import java.util.List;
import java.util.Map;

/**
 * The content of a Parquet file as read by {@link ParquetReader}.
 *
 * @param schema           the columns
 * @param rows             one map per row, in file order; keys in column order, null values present as {@code null}
 * @param keyValueMetadata the footer key/value pairs, in file order
 * @param createdBy        the footer's {@code created_by}, or {@code null}
 * @param rowGroups        the number of row groups in the file
 */
public record ParquetTable(ParquetSchema schema, List<Map<String, Object>> rows, Map<String, String> keyValueMetadata,
                           String createdBy, int rowGroups) {
}
