package dev.steering.model;

import dev.steering.hooks.Edit;
import dev.steering.model.compact.CompactPolicy;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.Checkpoint;
import dev.steering.weights.DType;
import dev.steering.weights.TensorInfo;
import dev.steering.weights.TensorSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded model: configuration, weights (held once), optional tokenizer, and the one forward engine built from
 * them. Edits are data passed at run time, so every steered view ({@link #graph(List)}) shares one graph, its
 * buffers and the weights. Thread-safe. {@link #close()} frees the engine, the weights and the tokenizer; a model
 * shared through {@code Steering.load} is freed when its last user closes it.
 */
public final class LanguageModel implements AutoCloseable {
    static {
        dev.steering.NativeRuntime.prepare();          // before ND4J's native library loads
    }

    private static final Logger LOG = LoggerFactory.getLogger(LanguageModel.class);
    /** Forward graphs built in this JVM (all models): one per model and engine. */
    private static final java.util.concurrent.atomic.AtomicLong GRAPHS_BUILT = new java.util.concurrent.atomic.AtomicLong();

    private final String id;
    private final Architecture architecture;
    private final PromptEncoder prompts;
    private final String revision;
    private final Object lock = new Object();
    private ForwardEngine engine;
    /** Users of a shared model (see {@link #retain()}); the model is freed when the count reaches 0. */
    private int users = 1;
    private boolean closed;

    /**
     * @param id           how the model was named (repo id, alias or directory), for metadata
     * @param architecture the loaded architecture
     * @param tokenizer    the tokenizer, or null if the checkpoint ships none
     */
    public LanguageModel(String id, Architecture architecture, TextTokenizer tokenizer) {
        this(id, architecture, tokenizer, null, null);
    }

    private LanguageModel(String id, Architecture architecture, TextTokenizer tokenizer, String revision,
                          ChatTemplate chatTemplate) {
        this.id = id;
        this.architecture = architecture;
        this.prompts = new PromptEncoder(id, tokenizer, chatTemplate);
        this.revision = revision;
    }

    /** Loads a Hugging Face checkpoint directory (config.json, weights, optional tokenizer.json). */
    public static LanguageModel load(Path dir) {
        return load(dir, dir.toString());
    }

    /** Loads a checkpoint directory at F32; {@code id} is recorded as the model's name. */
    public static LanguageModel load(Path dir, String id) {
        return load(dir, id, LoadOptions.defaults());
    }

    /**
     * Loads a checkpoint directory with these options; {@code id} is recorded as the model's name. A directory saved
     * by {@link QuantizedCheckpoint#save} loads its stored blocks as they are, at dtype {@code auto} or its own
     * (int8 or int4); another dtype is refused.
     */
    public static LanguageModel load(Path dir, String id, LoadOptions options) {
        options.device().check();
        long t0 = System.nanoTime();
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            String origin = dir.resolve("config.json").toString();
            TensorSource tensors = ckpt.tensors();
            dev.steering.model.compact.QuantizedSafeTensors saved = QuantizedCheckpoint.quantized(tensors);
            StorageType target = saved != null ? QuantizedCheckpoint.target(saved, options.precision())
                    : CompactPolicy.storageType(options.precision(), matrixDType(tensors));
            Architecture arch = Architectures.load(ckpt.config(), saved != null ? saved : tensors, origin, target);
            TextTokenizer tok = ckpt.file("tokenizer.json").map(TextTokenizer::load).orElse(null);
            LOG.info("loaded {} ({}, {} layers, hidden {}, {} parameters) at {} (matrices {}, {} MiB resident) in {} ms",
                    id, arch.config().architecture(), arch.config().numLayers(), arch.config().hiddenSize(),
                    arch.weights().parameterCount(), options.precision(), target,
                    arch.weights().storageBytes() >> 20, (System.nanoTime() - t0) / 1_000_000);
            Path parent = dir.toAbsolutePath().normalize().getParent();
            boolean snapshot = parent != null && parent.getFileName() != null
                    && parent.getFileName().toString().equals("snapshots");
            return new LanguageModel(id, arch, tok, snapshot ? dir.getFileName().toString() : null,
                    ChatTemplate.load(dir).orElse(null));
        }
    }

    /** The stored type of most of the checkpoint's matrix weights (by count; F32 if it has no 2-D tensor). */
    private static DType matrixDType(TensorSource tensors) {
        java.util.Map<DType, Long> weights = new java.util.EnumMap<>(DType.class);
        for (String name : tensors.names()) {
            TensorInfo info = tensors.info(name);
            if (info.shape().length == 2) {
                weights.merge(info.dtype(), info.shape()[0] * info.shape()[1], Long::sum);
            }
        }
        return weights.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
                .map(java.util.Map.Entry::getKey).orElse(DType.F32);
    }

    /**
     * The commit the checkpoint came from, when it was loaded from a Hugging Face cache snapshot
     * ({@code .../snapshots/<commit>/}).
     */
    public Optional<String> revision() {
        return Optional.ofNullable(revision);
    }

    /** The name the model was loaded under. */
    public String id() {
        return id;
    }

    /** The architecture (config and weights). */
    public Architecture architecture() {
        return architecture;
    }

    /** The configuration. */
    public ModelConfig config() {
        return architecture.config();
    }

    /** The tokenizer, if the checkpoint has one. */
    public Optional<TextTokenizer> tokenizer() {
        return prompts.tokenizer();
    }

    /** The tokenizer, or an error saying the checkpoint has none and token ids must be given. */
    public TextTokenizer requireTokenizer() {
        return prompts.requireTokenizer();
    }

    /** The checkpoint's chat template, if it ships one (instruction-tuned models). */
    public Optional<ChatTemplate> chatTemplate() {
        return prompts.chatTemplate();
    }

    /** How this model's prompts become token ids (tokenizer, chat template, BOS conventions). */
    public PromptEncoder prompts() {
        return prompts;
    }

    /**
     * The token ids of a prompt under the default {@link BosConvention#TOKENIZER}: the raw text, or with
     * {@code chat} the text as the user's message rendered through the chat template with the assistant's turn
     * opened ({@code add_generation_prompt}).
     */
    public long[] encodePrompt(String text, boolean chat) {
        return encodePrompt(Prompt.of(text, chat), BosConvention.TOKENIZER);
    }

    /** The token ids of a prompt, as {@link PromptEncoder#tokenize}. */
    public long[] encodePrompt(Prompt prompt, BosConvention bos) {
        return prompts.tokenize(prompt, bos).ids();
    }

    /**
     * Number of tokens the chat template puts after the user's message (the post-instruction tokens of
     * Arditi et al., e.g. Llama-3's {@code <|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n}).
     */
    public int postInstructionTokens() {
        return prompts.postInstructionTokens();
    }

    /**
     * A view of the model's forward pass with these edits (validated here). Nothing is built per view: the engine
     * is built on first use and shared by every view, and edits are applied at run time.
     */
    public ForwardGraph graph(List<Edit> edits) {
        for (Edit e : edits) {
            e.hook().checkWithin(config().numLayers());
            if (e.vector().dim() != config().hiddenSize()) {
                throw new IllegalArgumentException("steering vector has dimension " + e.vector().dim()
                        + " but " + id + " has hidden size " + config().hiddenSize());
            }
        }
        return new ForwardGraph(engine(), edits);
    }

    /** The forward engine (built on first use). */
    public ForwardEngine engine() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException(id + " was closed");
            }
            if (engine == null) {
                long t0 = System.nanoTime();
                GraphBuilder b = new GraphBuilder(architecture.weights(), false);
                architecture.forward(b);
                engine = b.build();
                LOG.debug("built forward graph #{} ({}, {} kernels) for {} in {} ms", GRAPHS_BUILT.incrementAndGet(),
                        engine.getClass().getSimpleName(), engine.kernels(), id, (System.nanoTime() - t0) / 1_000_000);
            }
            return engine;
        }
    }

    /** Forward graphs built in this JVM so far, over all models (edits never build one). */
    public static long graphsBuilt() {
        return GRAPHS_BUILT.get();
    }

    /** Whether {@link #close()} has freed this model. */
    public boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /**
     * Registers one more user of a shared model: each user's {@link #close()} releases one use, and the last frees
     * the model. Returns false (and changes nothing) if the model is already freed.
     */
    public boolean retain() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            users++;
            return true;
        }
    }

    /**
     * Releases one use; the last frees the engine's buffers, the weights and the tokenizer. Arrays a caller got
     * from a forward call (logits, activations, caches) stay the caller's.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed || --users > 0) {
                return;
            }
            closed = true;
            if (engine != null) {
                engine.close();
                engine = null;
            }
            architecture.weights().close();
        }
        prompts.closeTokenizer();
        LOG.debug("closed {}", id);
    }
}
