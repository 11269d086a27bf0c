package dev.steering.experiment.parquet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/** The Parquet RLE / bit-packing hybrid encoding, as used for definition levels. */
final class RleHybrid {
    private RleHybrid() {
    }

    /**
     * Encodes {@code count} levels of bit width 1 (each 0 or 1) as RLE runs. Runs are the natural shape of definition
     * levels (nulls are rare or clustered), and a run-only stream is valid hybrid encoding.
     */
    static byte[] encodeBitWidth1(byte[] levels, int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < count) {
            byte v = levels[i];
            int j = i + 1;
            while (j < count && levels[j] == v) {
                j++;
            }
            varint(out, (long) (j - i) << 1);
            out.write(v);
            i = j;
        }
        return out.toByteArray();
    }

    /**
     * Decodes {@code count} values of {@code bitWidth} bits (at most 8) from {@code buf}'s position up to its limit; both
     * RLE runs and bit-packed groups are accepted.
     */
    static int[] decode(ByteBuffer buf, int bitWidth, int count) throws IOException {
        if (bitWidth < 0 || bitWidth > 8) {
            throw new IOException("unsupported level bit width " + bitWidth);
        }
        int[] out = new int[count];
        int n = 0;
        int valueBytes = (bitWidth + 7) / 8;
        while (n < count) {
            if (!buf.hasRemaining()) {
                throw new IOException("definition levels end after " + n + " of " + count + " values");
            }
            long header = varint(buf);
            if ((header & 1) == 0) {
                long run = header >>> 1;
                int value = 0;
                for (int b = 0; b < valueBytes; b++) {
                    value |= (buf.get() & 0xFF) << (8 * b);
                }
                for (long k = 0; k < run && n < count; k++) {
                    out[n++] = value;
                }
            } else {
                long values = (header >>> 1) * 8;
                long bitPos = 0;
                int start = buf.position();
                long bytes = (header >>> 1) * bitWidth;
                if (bytes > buf.remaining()) {
                    throw new IOException("bit-packed run longer than the page");
                }
                for (long k = 0; k < values; k++, bitPos += bitWidth) {
                    int value = 0;
                    for (int b = 0; b < bitWidth; b++) {
                        long bit = bitPos + b;
                        int byteValue = buf.get(start + (int) (bit >>> 3)) & 0xFF;
                        value |= ((byteValue >>> (bit & 7)) & 1) << b;
                    }
                    if (n < count) {
                        out[n++] = value;
                    }
                }
                buf.position(start + (int) bytes);
            }
        }
        return out;
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static long varint(ByteBuffer buf) throws IOException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = buf.get() & 0xFF;
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IOException("varint too long");
    }
}
