import type { Clock, Notifier, ObjectStore } from '../core/ports.ts';
import { takePublishSlot } from '../core/store/publish-slots.ts';

/**
 * At most one publish a second across every function instance (SNS suspends email subscriptions of a topic that publishes too fast): before
 * publishing, claim the current second with create-if-absent on `state/publish-slots/<second>.json`;
 * if another instance holds it, wait for the next second and try again. The bucket's lifecycle
 * expires the slot objects.
 */
export function slotLimited(inner: Notifier, store: ObjectStore, clock: Clock): Notifier {
  return {
    async publish(n) {
      for (;;) {
        const second = Math.floor(clock.now().getTime() / 1000);
        if (await takePublishSlot(store, second)) return inner.publish(n);
        await clock.sleep((second + 1) * 1000 - clock.now().getTime());
      }
    },
  };
}
