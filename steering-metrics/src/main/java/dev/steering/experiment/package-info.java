/**
 * Experiment inputs and outputs: prompt sets ({@link dev.steering.experiment.PromptSet}), their seeded generator
 * ({@link dev.steering.experiment.PromptGenerator}) and vocabulary ({@link dev.steering.experiment.PromptVocabulary}),
 * ingestion of user CSV/JSON data ({@link dev.steering.experiment.PromptIngest}); Parquet results live in
 * {@code dev.steering.experiment.parquet}.
 */
package dev.steering.experiment;
