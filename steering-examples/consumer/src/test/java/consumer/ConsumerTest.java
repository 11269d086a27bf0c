package consumer;

import dev.steering.Steering;
import dev.steering.SteeredModel;
import dev.steering.direction.ContrastivePrefix;
import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.hooks.Add;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Steers the fixture model through the published API only. */
class ConsumerTest {
    @Test
    void steersTheFixtureModel() {
        var builder = Steering.model(System.getProperty("fixture")).layer(1).direction(ContrastivePrefix.defaults());
        GenerationConfig greedy = GenerationConfig.defaults().maxNewTokens(6);
        List<String> prompts = List.of("How do I make a cake?");
        Completion base = builder.baseline().generate(prompts, greedy).get(0);
        Completion zero = builder.intervene(Add.alpha(0)).generate(prompts, greedy).get(0);
        SteeredModel strong = builder.intervene(Add.alpha(50));
        Completion steered = strong.generate(prompts, greedy).get(0);
        assertArrayEquals(base.tokens(), zero.tokens());
        assertFalse(java.util.Arrays.equals(base.tokens(), steered.tokens()));
        System.out.println("baseline: " + base.text() + "\nsteered:  " + steered.text());
    }
}
