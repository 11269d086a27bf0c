package dev.steering.experiment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** Strict UTF-8 reading with line-numbered errors, and atomic text writes. */
final class TextFiles {
    private TextFiles() {
    }

    /**
     * Reads {@code file} as UTF-8, dropping a leading byte-order mark.
     *
     * @throws InputFormatException naming the line of the first invalid byte sequence
     */
    static String readUtf8(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new InputFormatException(file.toString(), "is a directory, expected a file");
        }
        if (!Files.exists(file)) {
            throw new InputFormatException(file.toString(), "no such file");
        }
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        var result = decoder.decode(in, out, true);
        if (result.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new InputFormatException(file.toString(), line, String.format(
                    "invalid UTF-8 (byte 0x%02X at offset %d)", bytes[in.position()] & 0xFF, in.position()));
        }
        decoder.flush(out);
        out.flip();
        String text = out.toString();
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** Writes {@code text} as UTF-8 to a temporary file next to {@code file}, then moves it into place atomically. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path target = file.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path temp = target.resolveSibling("." + target.getFileName() + "."
                + Integer.toHexString(ThreadLocalRandom.current().nextInt()) + ".tmp");
        try {
            ByteBuffer encoded;
            try {
                encoded = StandardCharsets.UTF_8.newEncoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .encode(CharBuffer.wrap(text));
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("text for " + file + " is not valid UTF-16", e);
            }
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            Files.write(temp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
