package io.gitstratum.coordinator.client.failover;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;

/**
 * Creates the gRPC channel to one endpoint. The client owns every channel it gets and shuts it
 * down on close. Replace the default to add TLS, interceptors or the in-process transport.
 */
@FunctionalInterface
public interface ChannelFactory {

  /** Largest message accepted: a full_sync of a very large cluster fits. */
  int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;

  ManagedChannel create(Endpoint endpoint);

  /** Plaintext HTTP/2 (the facade serves plaintext; put TLS in front of it if needed). */
  static ChannelFactory plaintext() {
    return endpoint -> Grpc.newChannelBuilderForAddress(endpoint.host(), endpoint.port(),
            InsecureChannelCredentials.create())
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .build();
  }
}
