package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's chat template ({@code chat_template.jinja}, or {@code chat_template} in {@code tokenizer_config.json}),
 * rendered by a Jinja engine (Jinjava) set up to give what Hugging Face's {@code apply_chat_template} gives in
 * Python: message content is data (never interpreted as template syntax), {@code trim_blocks},
 * {@code lstrip_blocks}, no trailing newline kept, Python syntax Jinjava parses differently rewritten
 * ({@link JinjaSyntax}: slices with a step, keyword arguments with operators), {@code trim} and the string methods
 * stripping Unicode whitespace as {@code str.strip}, the tokenizer's special tokens ({@code bos_token},
 * {@code eos_token}, …) as variables, {@code raise_exception(msg)} failing the rendering,
 * {@code strftime_now(fmt)}, Python's {@code tojson} (with {@code ", "} / {@code ": "} separators and
 * {@code indent}), and the Python string methods templates call ({@code .strip()}, {@code .startswith()},
 * {@code .split()}, {@code .upper()}, …). Thread-safe.
 */
public final class ChatTemplate {
    private static final Logger LOG = LoggerFactory.getLogger(ChatTemplate.class);
    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");
    private static final List<String> FUNCTIONS = List.of("raise_exception", "strftime_now");
    /** The context variable holding the {@link Raised} of a rendering. */
    private static final String RAISED = "__steering_raised__";
    private static final Jinjava JINJA = engine();

    private final String source;
    private final Map<String, String> specialTokens;

    private ChatTemplate(String source, Map<String, String> specialTokens) {
        this.source = JinjaSyntax.rewrite(jinjaWhitespace(source));
        this.specialTokens = Map.copyOf(specialTokens);
    }

    /**
     * Applies what Jinja2 does to the source and Jinjava does not: {@code -} whitespace control on every tag
     * ({@code {{- x -}}}, {@code {%- … -%}}, {@code {#- … -#}} strip all whitespace, newlines included, on that
     * side), and dropping one trailing newline ({@code keep_trailing_newline=False}). {@code trim_blocks} and
     * {@code lstrip_blocks} are left to Jinjava.
     */
    static String jinjaWhitespace(String source) {
        String s = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        s = s.replaceAll("\\s*\\{([{%#])-", "{$1");
        return s.replaceAll("-([}%#])}\\s*", "$1}");
    }

    /**
     * A template from its Jinja source.
     *
     * @param specialTokens variables such as {@code bos_token} → {@code <s>}
     */
    public static ChatTemplate of(String source, Map<String, String> specialTokens) {
        return new ChatTemplate(source, specialTokens);
    }

    /**
     * The chat template of a checkpoint directory: {@code chat_template.jinja} if present, else the
     * {@code chat_template} of {@code tokenizer_config.json} (a string, or a list of named templates of which
     * {@code default} is taken); special tokens from {@code tokenizer_config.json}. Empty if there is none.
     */
    public static Optional<ChatTemplate> load(Path modelDir) {
        try {
            Path configFile = modelDir.resolve("tokenizer_config.json");
            JsonNode config = Files.exists(configFile) ? new ObjectMapper().readTree(configFile.toFile()) : null;
            Map<String, String> tokens = new HashMap<>();
            if (config != null) {
                for (String name : SPECIAL_TOKENS) {
                    JsonNode t = config.get(name);
                    if (t != null && t.isTextual()) {
                        tokens.put(name, t.textValue());
                    } else if (t != null && t.has("content")) {
                        tokens.put(name, t.get("content").asText());
                    }
                }
            }
            Path jinja = modelDir.resolve("chat_template.jinja");
            if (Files.exists(jinja)) {
                return Optional.of(of(Files.readString(jinja), tokens));
            }
            JsonNode t = config == null ? null : config.get("chat_template");
            if (t != null && t.isTextual()) {
                return Optional.of(of(t.textValue(), tokens));
            }
            if (t != null && t.isArray()) {
                for (JsonNode named : t) {
                    if ("default".equals(named.path("name").asText())) {
                        return Optional.of(of(named.path("template").asText(), tokens));
                    }
                }
                throw new IllegalArgumentException(configFile + ": chat_template lists no 'default' template");
            }
            LOG.debug("{} has no chat template", modelDir);
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Renders a conversation, as {@code apply_chat_template(messages, add_generation_prompt=…, tokenize=False)}.
     *
     * @param addGenerationPrompt append the header that starts the assistant's turn
     * @throws IllegalArgumentException if the template raises ({@code raise_exception}) or fails, with its message
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation with extra template variables, as the keyword arguments of
     * {@code apply_chat_template} (e.g. {@code enable_thinking=False} for Qwen3, {@code date_string} for Llama-3.x).
     *
     * @throws IllegalArgumentException if the template raises ({@code raise_exception}) or fails, with its message
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Map<String, Object> vars = new HashMap<>(specialTokens);
        for (String function : FUNCTIONS) {
            vars.put(function, "<built-in function " + function + ">");   // so that `is defined` holds, as in Python
        }
        vars.putAll(variables);
        List<Map<String, Object>> copies = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> copy = new LinkedHashMap<>();
            copy.put("role", m.role());
            copy.put("content", m.content());
            copies.add(copy);
        }
        vars.put("messages", copies);
        vars.put("add_generation_prompt", addGenerationPrompt);
        Raised raised = new Raised();
        vars.put(RAISED, raised);
        RenderResult r = JINJA.renderForResult(source, vars);
        if (raised.message != null) {
            throw new IllegalArgumentException("chat template raised: " + raised.message);
        }
        List<TemplateError> fatal = r.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        if (!fatal.isEmpty()) {
            throw new IllegalArgumentException("chat template failed: " + String.join("; ",
                    fatal.stream().map(TemplateError::getMessage).toList()));
        }
        return r.getOutput();
    }

    private static Jinjava engine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withNestedInterpretationEnabled(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withParseWhitespaceControlStrictly(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .build())
                .withElResolver(resolver).build());
        try {
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class.getDeclaredMethod("raiseException", String.class)));
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    ChatTemplate.class.getDeclaredMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        j.getGlobalContext().registerFilter(new PythonToJson());
        j.getGlobalContext().registerFilter(new PythonTrim());
        j.getGlobalContext().registerFilter(new PythonSlice());
        return j;
    }

    /**
     * {@code raise_exception(message)}: records the template's message (rendering then fails with it, whatever
     * Jinjava goes on to render) and stops the current expression.
     */
    public static Object raiseException(String message) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        Object raised = interpreter == null ? null : interpreter.getContext().get(RAISED);
        if (raised instanceof Raised r && r.message == null) {
            r.message = message;
        }
        throw new IllegalStateException(message);
    }

    /**
     * {@code strftime_now(format)}: the current local time in Python {@code strftime} notation (directives
     * {@code %d %m %Y %y %H %M %S %b %B %a %A %j %p %%}).
     */
    public static String strftimeNow(String format) {
        ZonedDateTime now = ZonedDateTime.now();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            out.append(switch (d) {
                case 'd' -> String.format("%02d", now.getDayOfMonth());
                case 'm' -> String.format("%02d", now.getMonthValue());
                case 'Y' -> String.valueOf(now.getYear());
                case 'y' -> String.format("%02d", now.getYear() % 100);
                case 'H' -> String.format("%02d", now.getHour());
                case 'M' -> String.format("%02d", now.getMinute());
                case 'S' -> String.format("%02d", now.getSecond());
                case 'j' -> String.format("%03d", now.getDayOfYear());
                case 'b' -> now.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'B' -> now.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'a' -> now.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> now.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'p' -> now.getHour() < 12 ? "AM" : "PM";
                case '%' -> "%";
                default -> throw new IllegalArgumentException("strftime_now: unsupported directive %" + d);
            });
        }
        return out.toString();
    }

    /** The first message {@code raise_exception} was called with during one rendering. */
    private static final class Raised {
        private String message;
    }

    /** Python {@code str} methods on Java strings, tried before Jinjava's own (Java-bean) method resolution. */
    private static final class PythonStrings extends ELResolver {
        private static final Object NO_SUCH_METHOD = new Object();

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (!(base instanceof String s) || method == null) {
                return null;
            }
            Object[] p = params == null ? new Object[0] : params;
            Object result = call(s, method.toString(), p);
            if (result != NO_SUCH_METHOD) {
                context.setPropertyResolved(true);
            }
            return result == NO_SUCH_METHOD ? null : result;
        }

        private static Object call(String s, String method, Object[] p) {
            String arg = p.length > 0 && p[0] != null ? p[0].toString() : null;
            return switch (method) {
                case "strip" -> PythonText.strip(s, arg);
                case "lstrip" -> PythonText.stripLeft(s, arg);
                case "rstrip" -> PythonText.stripRight(s, arg);
                case "startswith" -> anyOf(p[0], s::startsWith);
                case "endswith" -> anyOf(p[0], s::endsWith);
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT)
                        + s.substring(1).toLowerCase(Locale.ROOT);
                case "title" -> title(s);
                case "split" -> arg == null ? PythonText.splitWhitespace(s)
                        : List.of(s.split(java.util.regex.Pattern.quote(arg), -1));
                case "find" -> s.indexOf(arg);
                case "count" -> arg.isEmpty() ? s.length() + 1 : (s.length() - s.replace(arg, "").length()) / arg.length();
                case "join" -> String.join(s, ((Collection<?>) p[0]).stream().map(String::valueOf).toList());
                default -> NO_SUCH_METHOD;
            };
        }

        private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
            if (prefixes instanceof Collection<?> c) {
                return c.stream().anyMatch(x -> test.test(String.valueOf(x)));
            }
            return test.test(String.valueOf(prefixes));
        }

        private static String title(String s) {
            StringBuilder b = new StringBuilder(s.length());
            boolean start = true;
            for (char c : s.toCharArray()) {
                b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
                start = !Character.isLetter(c);
            }
            return b.toString();
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {
            // properties are left to the next resolver
        }

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return false;
        }

        @Override
        public java.util.Iterator<java.beans.FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }

    /** {@code x[start:stop:step]} (Python slicing of lists and strings), which {@link JinjaSyntax} rewrites to. */
    private static final class PythonSlice implements Filter {
        @Override
        public String getName() {
            return JinjaSyntax.SLICE_FILTER;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            List<Object> items = new ArrayList<>();
            if (var instanceof String str) {
                str.codePoints().forEach(c -> items.add(new String(Character.toChars(c))));
            } else if (var instanceof Collection<?> c) {
                items.addAll(c);
            } else {
                throw new IllegalArgumentException("cannot slice " + (var == null ? "none" : var.getClass().getSimpleName()));
            }
            int n = items.size();
            long step = args.length > 2 && args[2] != null ? ((Number) args[2]).longValue() : 1;
            if (step == 0) {
                throw new IllegalArgumentException("slice step cannot be zero");
            }
            long start = bound(args.length > 0 ? args[0] : null, n, step < 0 ? n - 1 : 0, step);
            long stop = bound(args.length > 1 ? args[1] : null, n, step < 0 ? -1 : n, step);
            List<Object> out = new ArrayList<>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                out.add(items.get((int) i));
            }
            if (var instanceof String) {
                return String.join("", out.stream().map(String::valueOf).toList());
            }
            return out;
        }

        /** Python's slice bound: negative counts from the end, then clamped to the range the step walks. */
        private static long bound(Object given, int n, long absent, long step) {
            if (given == null) {
                return absent;
            }
            long i = ((Number) given).longValue();
            if (i < 0) {
                i += n;
            }
            return step > 0 ? Math.max(0, Math.min(i, n)) : Math.max(-1, Math.min(i, n - 1));
        }
    }

    /** Jinja's {@code trim(chars=None)}: Python's {@code str.strip}, which strips all Unicode whitespace. */
    private static final class PythonTrim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            String chars = args.length > 0 ? args[0] : null;
            return var == null ? "" : PythonText.strip(var.toString(), chars);
        }
    }

    /**
     * {@code tojson} as Hugging Face defines it: Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)}
     * ({@code ", "} and {@code ": "} separators on one line; with {@code indent}, one item per line).
     */
    private static final class PythonToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            StringBuilder out = new StringBuilder();
            write(out, var, indent == null ? -1 : Integer.parseInt(indent.toString()), 0);
            return out.toString();
        }

        private static void write(StringBuilder out, Object v, int indent, int depth) {
            if (v == null) {
                out.append("null");
            } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
                out.append(v);
            } else if (v instanceof Number n) {
                double d = n.doubleValue();
                out.append(d == Math.rint(d) && !Double.isInfinite(d) ? String.format("%.1f", d) : Double.toString(d));
            } else if (v instanceof Map<?, ?> m) {
                List<Object> keys = new ArrayList<>(m.keySet());
                container(out, '{', '}', keys.size(), indent, depth, (i, o) -> {
                    string(o, String.valueOf(keys.get(i)));
                    o.append(": ");
                    write(o, m.get(keys.get(i)), indent, depth + 1);
                });
            } else if (v instanceof Collection<?> c) {
                List<?> items = new ArrayList<>(c);
                container(out, '[', ']', items.size(), indent, depth, (i, o) -> write(o, items.get(i), indent,
                        depth + 1));
            } else {
                string(out, v.toString());
            }
        }

        private static void container(StringBuilder out, char open, char close, int n, int indent, int depth,
                                      java.util.function.BiConsumer<Integer, StringBuilder> item) {
            if (n == 0) {
                out.append(open).append(close);
                return;
            }
            out.append(open);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    out.append(indent >= 0 ? "," : ", ");
                }
                if (indent >= 0) {
                    out.append('\n').append(" ".repeat(indent * (depth + 1)));
                }
                item.accept(i, out);
            }
            if (indent >= 0) {
                out.append('\n').append(" ".repeat(indent * depth));
            }
            out.append(close);
        }

        private static void string(StringBuilder out, String s) {
            out.append('"');
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
                }
            }
            out.append('"');
        }
    }
}
