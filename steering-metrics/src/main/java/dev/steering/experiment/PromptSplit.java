package dev.steering.experiment;

/** The three generated prompt sets and their file names. */
public enum PromptSplit {
    /** Harmful-ish prompts used to find the steering direction. */
    HARM_TRAIN("harm_train"),
    /** Held-out harmful-ish prompts, shifted in style, template and subfamily from {@link #HARM_TRAIN}. */
    HARM_TEST("harm_test"),
    /** Everyday requests. */
    BENIGN("benign");

    private final String id;

    PromptSplit(String id) {
        this.id = id;
    }

    /** The id prefix and file stem, e.g. {@code harm_train}. */
    public String id() {
        return id;
    }

    /** The JSONL file name, e.g. {@code harm_train.jsonl}. */
    public String fileName() {
        return id + ".jsonl";
    }
}
