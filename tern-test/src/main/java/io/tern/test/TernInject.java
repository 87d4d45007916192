package io.tern.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field the {@link TernExtension} sets before each test: of type {@link TernTestBroker},
 * {@link io.tern.broker.Broker} or {@link java.net.URI}. A static field is set once, before
 * {@code @BeforeAll} methods run, and only for a class-wide broker.
 *
 * <pre>{@code
 * @TernBroker
 * class ClientTest {
 *   @TernInject TernTestBroker broker;
 *   @TernInject URI uri;
 * }
 * }</pre>
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface TernInject {}
