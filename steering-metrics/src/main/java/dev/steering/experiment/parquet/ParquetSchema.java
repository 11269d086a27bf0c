package dev.steering.experiment.parquet;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The flat schema of a Parquet file: an ordered list of named, typed columns, each required or nullable.
 *
 * <pre>{@code
 * ParquetSchema schema = ParquetSchema.builder()
 *         .string("prompt")          // required
 *         .int64("layer", true)      // nullable
 *         .float64("refusal", true)
 *         .build();
 * }</pre>
 */
public final class ParquetSchema implements Serializable {

    /**
     * One column.
     *
     * @param name     column name (non-empty, unique within the schema)
     * @param type     value type
     * @param nullable {@code true} for an {@code OPTIONAL} column (nulls allowed), {@code false} for {@code REQUIRED}
     */
    public record Column(String name, ColumnType type, boolean nullable) implements Serializable {
        /** Validates the name and type. */
        public Column {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("column name must be non-empty");
            }
            if (type == null) {
                throw new IllegalArgumentException("column '" + name + "' has no type");
            }
        }
    }

    private final List<Column> columns;

    /**
     * @param columns the columns in file order; names must be unique
     * @throws IllegalArgumentException for no columns or a duplicate name
     */
    public ParquetSchema(List<Column> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a Parquet schema needs at least one column");
        }
        Set<String> seen = new HashSet<>();
        for (Column c : columns) {
            if (!seen.add(c.name())) {
                throw new IllegalArgumentException("duplicate column name '" + c.name() + "'");
            }
        }
        this.columns = List.copyOf(columns);
    }

    /** A builder that adds columns in order. */
    public static Builder builder() {
        return new Builder();
    }

    /** The columns in file order. */
    public List<Column> columns() {
        return columns;
    }

    /** The column called {@code name}, or {@code null}. */
    public Column column(String name) {
        for (Column c : columns) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** The column names in file order. */
    public List<String> names() {
        List<String> out = new ArrayList<>(columns.size());
        for (Column c : columns) {
            out.add(c.name());
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParquetSchema s && s.columns.equals(columns);
    }

    @Override
    public int hashCode() {
        return columns.hashCode();
    }

    @Override
    public String toString() {
        return "ParquetSchema" + columns;
    }

    /** Builds a {@link ParquetSchema}; the one-argument methods add a required column. */
    public static final class Builder {
        private final List<Column> columns = new ArrayList<>();

        private Builder() {
        }

        /** Adds a column. */
        public Builder column(String name, ColumnType type, boolean nullable) {
            columns.add(new Column(name, type, nullable));
            return this;
        }

        /** Adds a required UTF-8 string column. */
        public Builder string(String name) {
            return string(name, false);
        }

        /** Adds a UTF-8 string column. */
        public Builder string(String name, boolean nullable) {
            return column(name, ColumnType.STRING, nullable);
        }

        /** Adds a required 32-bit integer column. */
        public Builder int32(String name) {
            return int32(name, false);
        }

        /** Adds a 32-bit integer column. */
        public Builder int32(String name, boolean nullable) {
            return column(name, ColumnType.INT32, nullable);
        }

        /** Adds a required 64-bit integer column. */
        public Builder int64(String name) {
            return int64(name, false);
        }

        /** Adds a 64-bit integer column. */
        public Builder int64(String name, boolean nullable) {
            return column(name, ColumnType.INT64, nullable);
        }

        /** Adds a required double column. */
        public Builder float64(String name) {
            return float64(name, false);
        }

        /** Adds a double column. */
        public Builder float64(String name, boolean nullable) {
            return column(name, ColumnType.DOUBLE, nullable);
        }

        /** Adds a required boolean column. */
        public Builder bool(String name) {
            return bool(name, false);
        }

        /** Adds a boolean column. */
        public Builder bool(String name, boolean nullable) {
            return column(name, ColumnType.BOOLEAN, nullable);
        }

        /** The schema; see {@link ParquetSchema#ParquetSchema(List)} for the checks. */
        public ParquetSchema build() {
            return new ParquetSchema(columns);
        }
    }
}
