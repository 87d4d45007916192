/**
 * Tier-3 conformance tests (see shared STYLE.md, "Tests in three tiers"): an embedded broker per
 * test on 127.0.0.1, driven with raw bytes over plain sockets, the way Mosquitto's
 * {@code test/broker/01-connect-*}, {@code 02-subpub-*}, ... do it.
 *
 * <p>One class per area of the MQTT 3.1.1 specification, named after its section so coverage can be
 * read off the file list ({@code Conformance_3_8_SubscribeTest} is section 3.8 SUBSCRIBE); each
 * test's {@code @DisplayName} cites the normative statements it checks ({@code MQTT-3.8.3-3}).
 * MQTT 3.1 specifics sit beside the 3.1.1 rule they differ from.
 *
 * <ul>
 *   <li>{@link io.tern.broker.conformance.RawClient}: sends bytes or encoded packets, reads decoded
 *       packets back; every read is bounded ({@code expectPacket}, {@code expectClosed}, {@code
 *       expectNothing}).
 *   <li>{@link io.tern.broker.conformance.BrokerTestBase}: the broker of each test (configured per
 *       test, started on first use), connected clients, the witness that proves a violation on one
 *       connection leaves the others served.
 *   <li>{@link io.tern.broker.conformance.Packets}: short constructors for the packets sent and
 *       expected, and raw CONNECTs the encoder would refuse to build.
 * </ul>
 *
 * <p>"Nothing was delivered" is checked with a barrier where possible (a later message on the same
 * path must be the next one to arrive), not with a wait. Run them with {@code mvn -pl tern-broker -am
 * test -Dtest='Conformance*' -Dsurefire.failIfNoSpecifiedTests=false}; add {@code
 * -Dtern.test.log=INFO} to see the broker's log.
 */
package io.tern.broker.conformance;
