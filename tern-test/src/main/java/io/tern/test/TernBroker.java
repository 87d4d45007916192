package io.tern.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs an in-process Tern broker on {@code 127.0.0.1} and a free port for the annotated test class
 * (one broker for all its tests, the default) or test method (a fresh broker for each), stopped
 * afterwards. Tests receive it as a parameter or in a field annotated with {@link TernInject}: as a
 * {@link TernTestBroker} (port, URI, message capture), an {@link io.tern.broker.Broker}, or a
 * {@link java.net.URI} ({@code tcp://127.0.0.1:port}).
 *
 * <pre>{@code
 * @TernBroker
 * class SensorTest {
 *   @Test
 *   void forwardsReadings(TernTestBroker broker) throws Exception {
 *     TernMessages messages = broker.capture("sensors/#");
 *     myApp.connectTo(broker.uri()).sendReading(21.5);
 *     assertThat(messages.await(1, Duration.ofSeconds(5)).get(0).payloadAsString()).isEqualTo("21.5");
 *   }
 * }
 * }</pre>
 *
 * <p>On a method of a class that has a class-wide broker, the method gets a broker of its own.
 * {@code @ExtendWith(TernExtension.class)} alone is the same as {@code @TernBroker} with the defaults.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(TernExtension.class)
public @interface TernBroker {
  /** Whether the broker lives for the test class (the default) or for each test method. */
  Scope scope() default Scope.CLASS;

  /**
   * Changes how the broker is built before it starts (authentication, limits, more listeners): a
   * class with a public or package-private no-argument constructor. The TCP listener on
   * {@code 127.0.0.1}, port 0, is already there; the first listener is the one {@link
   * TernTestBroker#uri()} names.
   */
  Class<? extends BrokerCustomizer> customizer() default BrokerCustomizer.None.class;

  /** How long a broker lives. */
  enum Scope {
    /** One broker for all the tests of the class (and of its {@code @Nested} classes). */
    CLASS,
    /** A new broker for each test method. */
    METHOD
  }
}
