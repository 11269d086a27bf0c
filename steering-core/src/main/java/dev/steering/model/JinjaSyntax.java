package dev.steering.model;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Rewrites the two pieces of Python Jinja syntax in published chat templates that Jinjava parses differently, inside
 * {@code {{ }}} and {@code {% %}} only (template text, comments and {@code raw} blocks are left as they are):
 * <ul>
 *   <li>a slice with a step, {@code messages[::-1]}, which Jinjava cannot parse, becomes the filter
 *   {@code messages|py_slice(none, none, -1)};</li>
 *   <li>a keyword argument's value is parenthesised, {@code namespace(i=messages|length - 1)} →
 *   {@code namespace(i=(messages|length - 1))}: Jinjava otherwise binds {@code i=messages|length} first and
 *   subtracts from the keyword argument.</li>
 * </ul>
 */
final class JinjaSyntax {
    /** The filter slices with a step are rewritten to. */
    static final String SLICE_FILTER = "py_slice";

    private JinjaSyntax() {
    }

    static String rewrite(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        while (i < source.length()) {
            if (source.startsWith("{#", i)) {
                int end = source.indexOf("#}", i + 2);
                end = end < 0 ? source.length() : end + 2;
                out.append(source, i, end);
                i = end;
            } else if (source.startsWith("{{", i) || source.startsWith("{%", i)) {
                String close = source.startsWith("{{", i) ? "}}" : "%}";
                int end = tagEnd(source, i + 2, close);
                String body = source.substring(i + 2, end);
                out.append(source, i, i + 2).append(expression(body)).append(close);
                i = Math.min(source.length(), end + 2);
                if (close.equals("%}") && body.strip().replaceFirst("^-", "").strip().equals("raw")) {
                    int endRaw = source.indexOf("endraw", i);
                    int stop = endRaw < 0 ? source.length() : source.lastIndexOf("{%", endRaw);
                    out.append(source, i, stop);
                    i = stop;
                }
            } else {
                out.append(source.charAt(i++));
            }
        }
        return out.toString();
    }

    /** Where the tag closes: the first {@code close} outside a string literal. */
    private static int tagEnd(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return s.length();
    }

    /** One bracket level: its opening character, and whether a keyword argument's value is open in it. */
    private static final class Frame {
        final char open;
        boolean kwarg;

        Frame(char open) {
            this.open = open;
        }
    }

    static String expression(String e) {
        StringBuilder out = new StringBuilder(e.length() + 16);
        Deque<Frame> frames = new ArrayDeque<>();
        int i = 0;
        while (i < e.length()) {
            char c = e.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(e, i);
                out.append(e, i, end);
                i = end;
                continue;
            }
            Frame top = frames.peek();
            if (c == '[' && postfix(out)) {
                int end = matching(e, i);
                String[] parts = topLevelSplit(e.substring(i + 1, end), ':');
                if (parts.length == 3) {
                    out.insert(primaryStart(out), '(');
                    out.append('|').append(SLICE_FILTER).append('(');
                    for (int p = 0; p < 3; p++) {
                        String part = parts[p].strip();
                        out.append(p > 0 ? ", " : "").append(part.isEmpty() ? "none" : expression(part));
                    }
                    out.append("))");
                    i = end + 1;
                    continue;
                }
            }
            if (c == '(' || c == '[' || c == '{') {
                frames.push(new Frame(c));
                out.append(c);
            } else if (c == ')' || c == ']' || c == '}') {
                if (top != null && top.kwarg) {
                    out.append(')');
                }
                if (!frames.isEmpty()) {
                    frames.pop();
                }
                out.append(c);
            } else if (c == ',' && top != null && top.kwarg) {
                out.append(')').append(c);
                top.kwarg = false;
            } else if (Character.isJavaIdentifierStart(c) && top != null && top.open == '(' && !top.kwarg
                    && lastSignificant(out) != '.' && (lastSignificant(out) == '(' || lastSignificant(out) == ',')) {
                int end = i;
                while (end < e.length() && Character.isJavaIdentifierPart(e.charAt(end))) {
                    end++;
                }
                int eq = end;
                while (eq < e.length() && e.charAt(eq) == ' ') {
                    eq++;
                }
                out.append(e, i, end);
                if (eq < e.length() && e.charAt(eq) == '=' && (eq + 1 == e.length() || e.charAt(eq + 1) != '=')) {
                    out.append("=(");
                    top.kwarg = true;
                    i = eq + 1;
                } else {
                    i = end;
                }
                continue;
            } else {
                out.append(c);
            }
            i++;
        }
        return out.toString();
    }

    /** Whether a {@code [} here indexes what precedes it (a name, a call, an index), rather than opening a list. */
    private static boolean postfix(StringBuilder out) {
        if (out.isEmpty()) {
            return false;
        }
        char last = out.charAt(out.length() - 1);
        return Character.isJavaIdentifierPart(last) || last == ')' || last == ']' || last == '\'' || last == '"';
    }

    /** Where the name, call or index chain ending {@code out} starts ({@code a.b(c)[d]}). */
    private static int primaryStart(StringBuilder out) {
        int i = out.length();
        while (i > 0) {
            char c = out.charAt(i - 1);
            if (c == ')' || c == ']') {
                char open = c == ')' ? '(' : '[';
                int depth = 0;
                do {
                    char d = out.charAt(--i);
                    depth += d == c ? 1 : d == open ? -1 : 0;
                } while (i > 0 && depth > 0);
            } else if (c == '\'' || c == '"') {
                i = out.lastIndexOf(String.valueOf(c), i - 2);
            } else if (Character.isJavaIdentifierPart(c) || c == '.') {
                i--;
            } else {
                break;
            }
        }
        return Math.max(0, i);
    }

    private static char lastSignificant(StringBuilder out) {
        for (int i = out.length() - 1; i >= 0; i--) {
            if (!Character.isWhitespace(out.charAt(i))) {
                return out.charAt(i);
            }
        }
        return 0;
    }

    private static int stringEnd(String e, int start) {
        char quote = e.charAt(start);
        for (int i = start + 1; i < e.length(); i++) {
            if (e.charAt(i) == '\\') {
                i++;
            } else if (e.charAt(i) == quote) {
                return i + 1;
            }
        }
        return e.length();
    }

    /** The index of the bracket closing the one at {@code open}. */
    private static int matching(String e, int open) {
        int depth = 0;
        for (int i = open; i < e.length(); i++) {
            char c = e.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(e, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && --depth == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("chat template: unclosed '" + e.charAt(open) + "' in '" + e + "'");
    }

    /** {@code s} split at {@code sep} outside brackets and strings. */
    private static String[] topLevelSplit(String s, char sep) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        int depth = 0;
        int from = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == sep && depth == 0) {
                parts.add(s.substring(from, i));
                from = i + 1;
            }
        }
        parts.add(s.substring(from));
        return parts.toArray(new String[0]);
    }
}
