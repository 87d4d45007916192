package io.tern.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.tern.broker.Broker;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The brokers' lifecycle seen from outside, with JUnit's EngineTestKit running sample classes: the
 * broker is stopped when its class or method is done, whether the tests pass or fail.
 */
class TernExtensionLifecycleTest {
  static final List<Broker> seen = new ArrayList<>();

  @ExtendWith(TernExtension.class)
  static class SamplePlainExtension {
    @Test
    void passes(Broker broker) {
      seen.add(broker);
    }

    @Test
    void fails(Broker broker) {
      seen.add(broker);
      throw new AssertionError("on purpose");
    }
  }

  @TernBroker(scope = TernBroker.Scope.METHOD)
  static class SamplePerMethod {
    @Test
    void one(Broker broker) {
      seen.add(broker);
    }

    @Test
    void two(Broker broker) {
      seen.add(broker);
      throw new AssertionError("on purpose");
    }
  }

  @TernBroker(scope = TernBroker.Scope.METHOD)
  static class SampleConstructorInjection {
    SampleConstructorInjection(Broker broker) {}

    @Test
    void never() {}
  }

  @TernBroker
  static class SampleBadField {
    @TernInject String notABroker;

    @Test
    void never() {}
  }

  private static Events run(Class<?> sample) {
    seen.clear();
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(sample)).execute().testEvents();
  }

  @Test
  void aClassWideBrokerServesEveryTestAndStopsAfterTheClassEvenWhenATestFails() {
    run(SamplePlainExtension.class).assertStatistics(s -> s.succeeded(1).failed(1));
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)).isSameAs(seen.get(1));
    assertThat(seen.get(0).isRunning()).isFalse();
  }

  @Test
  void methodBrokersAreOnePerMethodAndAllStop() {
    run(SamplePerMethod.class).assertStatistics(s -> s.succeeded(1).failed(1));
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)).isNotSameAs(seen.get(1));
    assertThat(seen).allSatisfy(b -> assertThat(b.isRunning()).isFalse());
  }

  @Test
  void aMethodBrokerCannotGoIntoTheConstructor() {
    run(SampleConstructorInjection.class).assertStatistics(s -> s.failed(1));
  }

  @Test
  void aTernInjectFieldOfAnotherTypeIsAConfigurationError() {
    Events events = run(SampleBadField.class);
    events.assertStatistics(s -> s.failed(1));
    assertThat(events.failed().stream().map(e -> e.getPayload(TestExecutionResult.class)
        .flatMap(TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse("")))
        .singleElement().asString().contains("must be a TernTestBroker, Broker or URI");
  }
}
