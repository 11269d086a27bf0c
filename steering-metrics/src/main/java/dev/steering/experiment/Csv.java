package dev.steering.experiment;

import java.util.ArrayList;
import java.util.List;

/**
 * A small RFC 4180 CSV parser: comma-separated fields, records ended by CRLF or LF, fields optionally enclosed in double
 * quotes, which may then contain commas, line breaks and doubled quotes ({@code ""} for {@code "}). Strict about quotes:
 * a quote inside an unquoted field, text after a closing quote or an unterminated quoted field is an error naming the
 * line. Empty lines between records are skipped. Line breaks inside quoted fields are returned as {@code \n}.
 */
public final class Csv {
    private Csv() {
    }

    /**
     * One record.
     *
     * @param line   the 1-based line on which the record starts
     * @param fields the field values, unquoted
     */
    public record Row(int line, List<String> fields) {
        /** Copies {@code fields}. */
        public Row {
            fields = List.copyOf(fields);
        }
    }

    /**
     * Parses CSV text.
     *
     * @param source the file name used in error messages
     * @throws InputFormatException {@code "<source>:<line>: <problem>"} for malformed quoting
     */
    public static List<Row> parse(String text, String source) throws InputFormatException {
        String s = text.replace("\r\n", "\n").replace('\r', '\n');
        int n = s.length();
        List<Row> rows = new ArrayList<>();
        int i = 0;
        int line = 1;
        while (i < n) {
            int recordLine = line;
            List<String> fields = new ArrayList<>();
            boolean quoted = false;
            while (true) {
                StringBuilder f = new StringBuilder();
                if (i < n && s.charAt(i) == '"') {
                    quoted = true;
                    int quoteLine = line;
                    i++;
                    while (true) {
                        if (i >= n) {
                            throw new InputFormatException(source, quoteLine, "unterminated quoted field");
                        }
                        char ch = s.charAt(i);
                        if (ch == '"') {
                            if (i + 1 < n && s.charAt(i + 1) == '"') {
                                f.append('"');
                                i += 2;
                            } else {
                                i++;
                                break;
                            }
                        } else {
                            if (ch == '\n') {
                                line++;
                            }
                            f.append(ch);
                            i++;
                        }
                    }
                    if (i < n && s.charAt(i) != ',' && s.charAt(i) != '\n') {
                        throw new InputFormatException(source, line,
                                "unexpected character '" + s.charAt(i) + "' after a closing quote");
                    }
                } else {
                    while (i < n && s.charAt(i) != ',' && s.charAt(i) != '\n') {
                        if (s.charAt(i) == '"') {
                            throw new InputFormatException(source, line,
                                    "quote inside an unquoted field (quote the whole field and double the inner quotes)");
                        }
                        f.append(s.charAt(i++));
                    }
                }
                fields.add(f.toString());
                if (i < n && s.charAt(i) == ',') {
                    i++;
                    continue;
                }
                if (i < n) {
                    i++;
                    line++;
                }
                break;
            }
            if (!(fields.size() == 1 && fields.get(0).isEmpty() && !quoted)) {
                rows.add(new Row(recordLine, fields));
            }
        }
        return rows;
    }
}
