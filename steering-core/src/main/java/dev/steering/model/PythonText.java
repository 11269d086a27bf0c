package dev.steering.model;

import java.util.ArrayList;
import java.util.List;

/** Python's {@code str.strip}, {@code lstrip}, {@code rstrip} and {@code split()} for chat templates. */
final class PythonText {
    private PythonText() {
    }

    /**
     * Python's {@code str.isspace} for one character: the Unicode space separators (Zs, e.g. U+00A0, U+2009, U+3000),
     * the ASCII whitespace and the separators U+001C–U+001F, U+0085, U+2028, U+2029 (Java's
     * {@code Character.isWhitespace} leaves out the no-break spaces).
     */
    static boolean isSpace(int c) {
        return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0x2028
                || c == 0x2029 || Character.getType(c) == Character.SPACE_SEPARATOR;
    }

    /** {@code s.strip(chars)}; {@code chars == null} strips whitespace. */
    static String strip(String s, String chars) {
        return stripRight(stripLeft(s, chars), chars);
    }

    /** {@code s.lstrip(chars)}. */
    static String stripLeft(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.codePointAt(i), chars)) {
            i += Character.charCount(s.codePointAt(i));
        }
        return s.substring(i);
    }

    /** {@code s.rstrip(chars)}. */
    static String stripRight(String s, String chars) {
        int i = s.length();
        while (i > 0 && strips(s.codePointBefore(i), chars)) {
            i -= Character.charCount(s.codePointBefore(i));
        }
        return s.substring(0, i);
    }

    /** {@code s.split()}: runs of whitespace separate, none at either end. */
    static List<String> splitWhitespace(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            if (isSpace(c)) {
                if (start >= 0) {
                    out.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(c);
        }
        if (start >= 0) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static boolean strips(int c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }
}
