package io.tern.server.auth;

import io.tern.broker.auth.AuthResult;
import io.tern.broker.auth.Authenticator;
import io.tern.broker.auth.Authorizer;
import io.tern.broker.auth.ConnectRequest;
import io.tern.server.config.AuthConfig;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone server's authentication and authorization, from the {@code auth:} settings: the
 * password file, the ACL file, anonymous access, and the thread that reloads the files when they
 * change.
 *
 * <p>Who is who when a client connects:
 *
 * <ol>
 *   <li>a user name taken from a verified client certificate ({@code identity_as_username}) is
 *       accepted: TLS has authenticated it;
 *   <li>with a password file, a client that sends a user name is checked against it
 *       ({@link PasswordAuthenticator}) and refused with {@code 0x86}/{@code 0x04} when wrong;
 *   <li>anyone else (no user name, or no password file to check one against) is anonymous, let in
 *       or refused with {@code 0x87 Not authorized}/{@code 0x05} by {@code allow_anonymous}. The user
 *       name an anonymous client sends is kept for the logs but is not an identity: the ACL treats it
 *       as anonymous.
 * </ol>
 *
 * <pre>{@code
 * ServerAuth auth = ServerAuth.start(config.auth());   // loads the files, or throws AuthFileException
 * Broker broker = Broker.builder().config(c).authenticator(auth.authenticator()).authorizer(auth.authorizer()).build();
 * }</pre>
 */
public final class ServerAuth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerAuth.class);

  private final AuthConfig config;
  private final ReloadingFile<PasswordFile> passwords;
  private final ReloadingFile<AclFile> acl;
  private final PasswordAuthenticator passwordAuthenticator;
  private final ScheduledExecutorService reloader;
  private final AtomicLong anonymousRefused = new AtomicLong();

  private ServerAuth(AuthConfig config) {
    this.config = config;
    this.passwords = config.passwordFile() == null ? null
        : new ReloadingFile<>(config.passwordFile(), "password file", PasswordFile::load);
    this.acl = config.aclFile() == null ? null : new ReloadingFile<>(config.aclFile(), "ACL file", AclFile::load);
    this.passwordAuthenticator = passwords == null ? null : new PasswordAuthenticator(passwords::get, config.lockoutLoopback());
    long every = config.reloadCheckInterval().toMillis();
    if ((passwords != null || acl != null) && every > 0) {
      reloader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tern-auth-reload");
        t.setDaemon(true);
        return t;
      });
      reloader.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    } else {
      reloader = null;
    }
  }

  /**
   * Loads the files of {@code config} and starts checking them for changes.
   *
   * @throws AuthFileException when a file cannot be read or is invalid
   */
  public static ServerAuth start(AuthConfig config) {
    return new ServerAuth(config);
  }

  /** One line for the start log: what is checked. */
  public String describe() {
    return "password file " + (passwords == null ? "none"
        : passwords.file() + " (" + passwords.get().size() + " users"
            + (passwords.get().scramUsers() > 0 ? ", " + passwords.get().scramUsers() + " with SCRAM-SHA-256)" : ")"))
        + ", ACL file " + (acl == null ? "none (everything allowed)" : acl.file() + " (" + acl.get().size() + " rules)")
        + ", allow_anonymous " + config.allowAnonymous().key()
        + (config.allowAnonymous() == AnonymousAccess.LOCALHOST ? " (loopback addresses only)" : "");
  }

  /**
   * The authenticator of the {@code auth} section. When its answer takes longer than the hook
   * timeout (the password checks are backed up), the client gets {@code 0x89 Server busy}.
   */
  public Authenticator authenticator() {
    return new Authenticator() {
      @Override
      public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
        return ServerAuth.this.authenticate(request);
      }

      @Override
      public AuthResult timeoutFallback() {
        return AuthResult.refuse(AuthResult.SERVER_BUSY).because("password check not done in time");
      }

      @Override
      public String name() {
        return "auth (password file, allow_anonymous)";
      }
    };
  }

  /**
   * MQTT 5 enhanced authentication methods by name: {@code SCRAM-SHA-256} over the password file's
   * SCRAM credentials when there is a password file; none without one.
   */
  public java.util.Map<String, io.tern.broker.auth.EnhancedAuthenticator> enhancedAuthenticators() {
    return passwordAuthenticator == null ? java.util.Map.of()
        : java.util.Map.of(io.tern.broker.auth.ScramSha256Authenticator.METHOD,
            new ScramFileAuthenticator(passwords::get, passwordAuthenticator));
  }

  /** The ACL, or {@link Authorizer#ALLOW_ALL} without an ACL file. */
  public Authorizer authorizer() {
    return acl == null ? Authorizer.ALLOW_ALL : new AclAuthorizer(acl::get);
  }

  private CompletionStage<AuthResult> authenticate(ConnectRequest request) {
    if (request.certificateIdentity() && request.username() != null) {
      return CompletableFuture.completedFuture(
          AuthResult.accept(request.username(), new AuthenticatedUser(request.username())));
    }
    if (passwordAuthenticator != null && request.username() != null) {
      return passwordAuthenticator.authenticate(request);
    }
    if (config.allowAnonymous().allows(request.remoteAddress())) {
      return CompletableFuture.completedFuture(AuthResult.accept(request.username()));
    }
    anonymousRefused.incrementAndGet();
    return CompletableFuture.completedFuture(AuthResult.notAuthorized().because("anonymous clients are not allowed"
        + (config.allowAnonymous() == AnonymousAccess.LOCALHOST ? " from other machines (auth.allow_anonymous: localhost)"
            : " (auth.allow_anonymous: false)")));
  }

  /** Whether there is a password or ACL file, which {@link #reload} would read again. */
  public boolean hasFiles() {
    return passwords != null || acl != null;
  }

  /** Reloads both files now, whether they changed or not (SIGHUP). */
  public void reload() {
    if (passwords == null && acl == null) {
      log.info("Reload requested: no password or ACL file configured, nothing to reload");
      return;
    }
    if (passwords != null) {
      passwords.reload();
    }
    if (acl != null) {
      acl.reload();
    }
  }

  private void check() {
    try {
      if (passwords != null) {
        passwords.check();
      }
      if (acl != null) {
        acl.check();
      }
      if (passwordAuthenticator != null) {
        passwordAuthenticator.prune();
      }
    } catch (RuntimeException e) { // keep checking: a scheduled task that throws is never run again
      log.warn("Checking the auth files failed", e);
    }
  }

  /** Counters of the password check, or {@code null} without a password file. */
  public PasswordAuthenticator.Stats passwordStats() {
    return passwordAuthenticator == null ? null : passwordAuthenticator.stats();
  }

  /** Anonymous clients refused since start. */
  public long anonymousRefused() {
    return anonymousRefused.get();
  }

  @Override
  public void close() {
    if (reloader != null) {
      reloader.shutdownNow();
    }
    if (passwordAuthenticator != null) {
      passwordAuthenticator.close();
    }
  }
}
