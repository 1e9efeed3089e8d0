package io.gitstratum.coordinator.facade.server;

import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Rewrites the methods of a bound service, keeping its name and schema (reflection). */
final class ServiceMethods {
  private ServiceMethods() {}

  static ServerServiceDefinition rewrite(ServerServiceDefinition service,
      UnaryOperator<ServerMethodDefinition<?, ?>> rewrite) {
    ServiceDescriptor original = service.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    // gRPC requires the descriptor to list the very method descriptors that are bound.
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> rewritten = rewrite.apply(method);
      methods.add(rewritten);
      descriptor.addMethod(rewritten.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }
}
