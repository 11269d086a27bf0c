package dev.steering.experiment.parquet;

/** The value type of one Parquet column and the Java type that carries it. */
public enum ColumnType {
    /** UTF-8 text: physical {@code BYTE_ARRAY}, logical type {@code STRING} (converted type {@code UTF8}); Java {@link String}. */
    STRING(6, String.class),
    /** Physical {@code INT32}; Java {@link Integer} (also accepts {@link Short} and {@link Byte}). */
    INT32(1, Integer.class),
    /** Physical {@code INT64}; Java {@link Long} (also accepts {@link Integer}, {@link Short} and {@link Byte}). */
    INT64(2, Long.class),
    /** Physical {@code DOUBLE}; Java {@link Double} (also accepts {@link Float}). */
    DOUBLE(5, Double.class),
    /** Physical {@code BOOLEAN}; Java {@link Boolean}. */
    BOOLEAN(0, Boolean.class);

    private final int physicalType;
    private final Class<?> javaType;

    ColumnType(int physicalType, Class<?> javaType) {
        this.physicalType = physicalType;
        this.javaType = javaType;
    }

    /** The Parquet {@code Type} enum value written to the schema. */
    int physicalType() {
        return physicalType;
    }

    /** The Java class of values read back from a column of this type. */
    public Class<?> javaType() {
        return javaType;
    }

    /** The column type for a Parquet physical type id, or {@code null} if this package does not support it. */
    static ColumnType ofPhysical(int physical) {
        for (ColumnType t : values()) {
            if (t.physicalType == physical) {
                return t;
            }
        }
        return null;
    }
}
