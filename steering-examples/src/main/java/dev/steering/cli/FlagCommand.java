package dev.steering.cli;

import java.util.Set;

/** A command with options that take no value ({@code --greedy}, {@code --raw}). */
public interface FlagCommand extends Command {
    /** Names of the value-less options, without {@code --}. */
    Set<String> flags();
}
