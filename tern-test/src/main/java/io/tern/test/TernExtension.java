package io.tern.test;

import io.tern.broker.Broker;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;

/**
 * The JUnit 5 extension behind {@link TernBroker}: starts a broker for a test class or method,
 * resolves {@link TernTestBroker}, {@link Broker} and {@link URI} parameters, sets {@link TernInject}
 * fields, and stops the broker when its class or method is done (through JUnit's store, so it is
 * stopped even when a test or a callback fails).
 *
 * <p>{@code @ExtendWith(TernExtension.class)} without {@code @TernBroker} means a class-wide broker
 * with the defaults.
 */
public final class TernExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(TernExtension.class);
  /** The class-wide broker: looked up through the enclosing classes too, so @Nested classes share it. */
  private static final String KEY = "broker";
  /** A method's own broker: another key, or the lookup would find the class's first. */
  private static final String METHOD_KEY = "methodBroker";

  @Override
  public void beforeAll(ExtensionContext context) {
    if (scopeOf(context) == TernBroker.Scope.CLASS) {
      TernTestBroker broker = classBroker(context);
      injectFields(context.getRequiredTestClass(), null, broker, true);
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    TernTestBroker broker = brokerFor(context);
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      injectFields(instance.getClass(), instance, broker, false);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TernTestBroker.class || type == Broker.class || type == URI.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (context.getTestMethod().isEmpty() && scopeOf(context) == TernBroker.Scope.METHOD) {
      throw new ParameterResolutionException("a broker of scope METHOD cannot be injected into "
          + parameter.getDeclaringExecutable() + ": it does not exist yet; take it as a test method parameter");
    }
    return valueOf(parameter.getParameter().getType(), brokerFor(context));
  }

  /** The broker of this context: the method's own, or the class's. */
  private static TernTestBroker brokerFor(ExtensionContext context) {
    if (context.getTestMethod().isPresent() && scopeOf(context) == TernBroker.Scope.METHOD) {
      return context.getStore(NAMESPACE)
          .getOrComputeIfAbsent(METHOD_KEY, k -> new Holder(start(context)), Holder.class).broker;
    }
    return classBroker(context);
  }

  /** The broker of the test class (of the outermost class with one, for {@code @Nested} classes). */
  private static TernTestBroker classBroker(ExtensionContext context) {
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
      classContext = classContext.getParent().get();
    }
    ExtensionContext owner = classContext;
    // getOrComputeIfAbsent looks in the enclosing classes' stores first: @Nested classes share the broker.
    return owner.getStore(NAMESPACE).getOrComputeIfAbsent(KEY, k -> new Holder(start(owner)), Holder.class).broker;
  }

  /** The annotation that applies: the method's, else the (enclosing) class's; null for none. */
  private static TernBroker annotationOf(ExtensionContext context) {
    Optional<ExtensionContext> c = Optional.of(context);
    while (c.isPresent()) {
      Optional<TernBroker> a = AnnotationSupport.findAnnotation(c.get().getElement(), TernBroker.class);
      if (a.isPresent()) {
        return a.get();
      }
      c = c.get().getParent();
    }
    return null;
  }

  private static TernBroker.Scope scopeOf(ExtensionContext context) {
    if (context.getTestMethod().isPresent()
        && AnnotationSupport.isAnnotated(context.getRequiredTestMethod(), TernBroker.class)) {
      return TernBroker.Scope.METHOD; // a method's own annotation: its own broker
    }
    TernBroker a = annotationOf(context);
    return a == null ? TernBroker.Scope.CLASS : a.scope();
  }

  private static TernTestBroker start(ExtensionContext context) {
    TernBroker a = annotationOf(context);
    Class<? extends BrokerCustomizer> type = a == null ? BrokerCustomizer.None.class : a.customizer();
    BrokerCustomizer customizer;
    try {
      var constructor = type.getDeclaredConstructor();
      constructor.setAccessible(true);
      customizer = constructor.newInstance();
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ExtensionConfigurationException("cannot create the broker customizer " + type.getName()
          + ": it needs a no-argument constructor", e);
    }
    return TernTestBroker.start(customizer);
  }

  private static void injectFields(Class<?> type, Object instance, TernTestBroker broker, boolean statics) {
    for (Field f : AnnotationSupport.findAnnotatedFields(type, TernInject.class, field ->
        Modifier.isStatic(field.getModifiers()) == statics, HierarchyTraversalMode.TOP_DOWN)) {
      Class<?> t = f.getType();
      if (t != TernTestBroker.class && t != Broker.class && t != URI.class) {
        throw new ExtensionConfigurationException("@TernInject field " + f + " must be a TernTestBroker, Broker or URI");
      }
      try {
        f.setAccessible(true);
        f.set(instance, valueOf(t, broker));
      } catch (IllegalAccessException e) {
        throw new ExtensionConfigurationException("cannot set @TernInject field " + f, e);
      }
    }
  }

  private static Object valueOf(Class<?> type, TernTestBroker broker) {
    if (type == Broker.class) {
      return broker.broker();
    }
    return type == URI.class ? broker.asUri() : broker;
  }

  /** Stops the broker when JUnit closes the store of the context that started it. */
  private static final class Holder implements ExtensionContext.Store.CloseableResource {
    final TernTestBroker broker;

    Holder(TernTestBroker broker) {
      this.broker = broker;
    }

    @Override
    public void close() {
      broker.close();
    }
  }
}
