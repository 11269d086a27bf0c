package dev.steering.direction;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** A short, stable fingerprint of a tokenized prompt set, recorded in direction files for provenance. */
public final class PromptHash {
    private PromptHash() {
    }

    /** The first 16 hex digits of SHA-256 over every prompt's token ids (order matters). */
    public static String of(List<long[]> prompts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(8);
            for (long[] p : prompts) {
                for (long t : p) {
                    md.update(buf.clear().putLong(t).array());
                }
                md.update(buf.clear().putLong(-1).array());    // prompt separator
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
