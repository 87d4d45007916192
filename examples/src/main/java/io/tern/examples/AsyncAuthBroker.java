package io.tern.examples;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.ConnectRequest;
import io.tern.broker.hook.ConnectHook;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An authenticator that asks a slow user service (here simulated: 100 ms per lookup, on its own
 * threads) without blocking an event loop. The service's answer becomes the client's auth info
 * (its plan), which later hooks see. When the service takes longer than the hook timeout, the
 * client is refused with "server busy".
 */
public final class AsyncAuthBroker {
  private AsyncAuthBroker() {}

  /** A stand-in for a database or an HTTP service. */
  public static final class UserService {
    private final ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "user-service");
      t.setDaemon(true);
      return t;
    });
    private final Map<String, String[]> users = Map.of(
        "alice", new String[] {"secret", "gold"},
        "bob", new String[] {"secret", "free"},
        "sloth", new String[] {"secret", "free"});

    /** The plan of a user whose password matches, or null; "sloth" takes 10 s to look up. */
    CompletableFuture<String> plan(String user, String password) {
      return CompletableFuture.supplyAsync(() -> {
        sleep("sloth".equals(user) ? 10_000 : 100);
        String[] u = users.get(user);
        return u != null && u[0].equals(password) ? u[1] : null;
      }, pool);
    }

    private static void sleep(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The connect hook: asks the service, accepts with the plan as auth info. */
  public static final class ServiceAuthenticator implements ConnectHook {
    private final UserService service;

    public ServiceAuthenticator(UserService service) {
      this.service = service;
    }

    @Override
    public CompletionStage<AuthResult> onConnect(ConnectRequest request) {
      if (request.username() == null) {
        return CompletableFuture.completedFuture(AuthResult.notAuthorized());
      }
      return service.plan(request.username(), request.passwordString())
          .thenApply(plan -> plan == null ? AuthResult.badCredentials() : AuthResult.accept(request.username(), plan));
    }

    @Override
    public AuthResult timeoutFallback() {
      return AuthResult.refuse(AuthResult.SERVER_BUSY);
    }
  }

  public static Broker start(int port, Duration timeout) {
    return Broker.builder()
        .listener(Listener.tcp("127.0.0.1", port))
        .hookTimeout(timeout)
        .hook(new ServiceAuthenticator(new UserService()))
        // Free plans publish at QoS 0 only: the auth info reaches the publish hook.
        .hook((io.tern.broker.hook.PublishHook) (client, message) ->
            "free".equals(client.attachment()) && message.qos() > 0
                ? io.tern.broker.hook.PublishDecision.rewrite(message.withQos(0))
                : io.tern.broker.hook.PublishDecision.CONTINUE)
        .build()
        .start();
  }

  public static void main(String[] args) {
    Broker broker = start(args.length > 0 ? Integer.parseInt(args[0]) : 1883, Duration.ofSeconds(2));
    Runtime.getRuntime().addShutdownHook(new Thread(broker::stop));
    System.out.println("Listening on port " + broker.port());
  }
}
