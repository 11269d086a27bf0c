/**
 * Reading model checkpoints: safetensors files (memory-mapped, validated), {@code torch.save} state
 * dicts through a restricted pickle reader that never executes code, sharded checkpoints, and Hugging
 * Face model directories ({@link dev.steering.weights.Checkpoint}); plus atomic safetensors writing.
 */
package dev.steering.weights;
