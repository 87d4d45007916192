package io.tern.examples;

import io.tern.broker.Broker;
import io.tern.broker.Listener;
import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.PublishHook;

/** The smallest custom broker: refuses empty messages and logs every temperature reading. */
public final class MinimalBroker {
  private MinimalBroker() {}

  public static Broker start(int port) {
    return Broker.builder()
        .listener(Listener.tcp("127.0.0.1", port))
        .hook((PublishHook) (client, message) ->
            message.payloadSize() == 0 ? PublishDecision.refuse() : PublishDecision.CONTINUE)
        .rule("sensors/+/temperature", 0, m -> System.out.println(m.topic() + " = " + m.payloadAsString()))
        .build()
        .start();
  }

  public static void main(String[] args) {
    Broker broker = start(args.length > 0 ? Integer.parseInt(args[0]) : 1883);
    Runtime.getRuntime().addShutdownHook(new Thread(broker::stop));
    System.out.println("Listening on port " + broker.port());
  }
}
