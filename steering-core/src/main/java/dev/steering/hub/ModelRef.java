package dev.steering.hub;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the user typed to name a model: an alias ({@code pythia-160m}), a hub repository
 * ({@code org/name}, {@code org/name@revision}, {@code datasets/org/name}), or a local directory.
 * Use {@link #parse(String)} to interpret a spec and {@link ModelLocator} to turn it into a directory.
 */
public sealed interface ModelRef permits ModelRef.Hub, ModelRef.Local {

    /** Default revision (branch) of hub repositories. */
    String MAIN = "main";

    /**
     * A repository on the Hugging Face hub.
     *
     * @param repoId   {@code org/name}
     * @param revision branch, tag, {@code refs/pr/N} or 40-hex commit sha; {@code null} means {@code "main"}
     * @param repoType {@code "model"} or {@code "dataset"}; {@code null} means {@code "model"}
     */
    record Hub(String repoId, String revision, String repoType) implements ModelRef {
        /** Repository ids as accepted by huggingface_hub's validate_repo_id: {@code [org/]name}. */
        private static final Pattern REPO_ID = Pattern.compile("([\\w.\\-]+/)?[\\w.\\-]+");

        /** Validates and applies the defaults. */
        public Hub {
            Objects.requireNonNull(repoId, "repoId");
            revision = revision == null || revision.isBlank() ? MAIN : revision;
            repoType = repoType == null ? "model" : repoType;
            if (!repoType.equals("model") && !repoType.equals("dataset")) {
                throw new HubException("Unsupported repository type '" + repoType + "' (expected 'model' or 'dataset')");
            }
            if (!REPO_ID.matcher(repoId).matches() || repoId.contains("--") || repoId.contains("..")
                    || repoId.length() > 96) {
                throw new HubException("Invalid repository id '" + repoId + "': expected 'org/name' using letters, "
                        + "digits, '-', '_' and '.' (no '--' or '..')");
            }
        }

        /** @param repoId {@code org/name}, at revision {@code main} */
        public Hub(String repoId) {
            this(repoId, MAIN, "model");
        }

        /**
         * @param repoId   {@code org/name}
         * @param revision branch, tag or commit sha
         */
        public Hub(String repoId, String revision) {
            this(repoId, revision, "model");
        }

        /**
         * @param newRevision branch, tag or commit sha
         * @return the same repository at that revision
         */
        public Hub withRevision(String newRevision) {
            return new Hub(repoId, newRevision, repoType);
        }

        /** @return {@code org/name@revision}, prefixed with {@code datasets/} for datasets */
        @Override
        public String toString() {
            return (repoType.equals("dataset") ? "datasets/" : "") + repoId + "@" + revision;
        }
    }

    /**
     * A model directory on the local file system.
     *
     * @param dir an absolute, normalized path
     */
    record Local(Path dir) implements ModelRef {
        /** Normalizes {@code dir} to an absolute path. */
        public Local {
            dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
        }
    }

    /**
     * Interprets a model spec. In order: an existing directory wins; then an alias from {@link ModelAliases}
     * (optionally with {@code @revision}); then {@code org/name[@revision]} or {@code datasets/org/name[@revision]}.
     *
     * @param spec what the user typed
     * @return the reference
     * @throws HubException if {@code spec} matches none of the accepted forms
     */
    public static ModelRef parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw badSpec(String.valueOf(spec), "it is empty");
        }
        String s = spec.strip();
        Path asPath = null;
        try {
            asPath = Path.of(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s);
        } catch (InvalidPathException e) {
            // not a usable path on this OS; may still be a repo id
        }
        if (asPath != null && Files.isDirectory(asPath)) {
            return new Local(asPath);
        }
        if (s.startsWith("/") || s.startsWith("./") || s.startsWith("../") || s.startsWith("~") || s.startsWith(".\\")
                || s.matches("^[A-Za-z]:[\\\\/].*")) {
            throw badSpec(s, "it looks like a path but no such directory exists");
        }
        int at = s.indexOf('@');
        String name = at < 0 ? s : s.substring(0, at);
        String revision = at < 0 ? MAIN : s.substring(at + 1);
        if (at >= 0 && revision.isBlank()) {
            throw badSpec(s, "the revision after '@' is empty");
        }
        var alias = ModelAliases.repoId(name);
        if (alias.isPresent()) {
            return new Hub(alias.get(), revision, "model");
        }
        String repoType = "model";
        if (name.startsWith("datasets/")) {
            repoType = "dataset";
            name = name.substring("datasets/".length());
        } else if (name.startsWith("models/")) {
            name = name.substring("models/".length());
        }
        if (name.indexOf('/') > 0 && Hub.REPO_ID.matcher(name).matches()) {
            try {
                return new Hub(name, revision, repoType);
            } catch (HubException e) {
                throw badSpec(s, e.getMessage());
            }
        }
        throw badSpec(s, "it is not a local directory, a known alias, or an 'org/name' repository id");
    }

    private static HubException badSpec(String spec, String why) {
        return new HubException("Cannot interpret model '" + spec + "': " + why + ". Accepted forms: "
                + "an existing local directory containing config.json; "
                + "an alias such as pythia-160m or gpt2 (see ModelAliases / docs/hub.md); "
                + "a Hugging Face repository 'org/name', optionally with a revision 'org/name@revision' "
                + "(branch, tag such as step3000, or commit sha); or 'datasets/org/name[@revision]'.");
    }
}
