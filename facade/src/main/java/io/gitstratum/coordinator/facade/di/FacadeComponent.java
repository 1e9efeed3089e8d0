package io.gitstratum.coordinator.facade.di;

import dagger.BindsInstance;
import dagger.Component;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.grpc.ServerBuilder;
import jakarta.inject.Singleton;
import java.time.Clock;

/** Wires one facade replica from its configuration, a clock and a gRPC server builder. */
@Singleton
@Component(modules = FacadeModule.class)
public interface FacadeComponent {
  FacadeServer server();

  @Component.Builder
  interface Builder {
    @BindsInstance
    Builder config(FacadeConfig config);

    @BindsInstance
    Builder clock(Clock clock);

    /** Tests pass an in-process or port-0 builder; production a Netty one on the listen address. */
    @BindsInstance
    Builder serverBuilder(ServerBuilder<?> builder);

    FacadeComponent build();
  }

  static FacadeComponent create(FacadeConfig config, Clock clock, ServerBuilder<?> builder) {
    return DaggerFacadeComponent.builder().config(config).clock(clock).serverBuilder(builder)
        .build();
  }
}
