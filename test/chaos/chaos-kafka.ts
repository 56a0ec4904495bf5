import { freePortPair, kafkaDown, kafkaUp } from '../helpers/private-broker.ts';

// One private broker per chaos run, shared by the experiments that need a healthy Kafka (each on
// topics of its own): starting one takes ~15 s on this machine, which the short profile cannot pay
// per experiment. Experiments that fault the broker itself bring their own (broker-loss).
let starting: Promise<{ readonly bootstrap: string; readonly port: number | undefined }> | undefined;

/**
 * The bootstrap address of the run's broker: KAFKA_BOOTSTRAP_SERVERS when set (CI), otherwise a
 * private single-node broker started on first use (its watchdog stops it if this process dies).
 */
export async function chaosKafka(): Promise<string> {
  starting ??= (async () => {
    const external = process.env['KAFKA_BOOTSTRAP_SERVERS']?.trim();
    if (external) return { bootstrap: external, port: undefined };
    const port = await freePortPair();
    return { bootstrap: await kafkaUp(port, false), port };
  })();
  try {
    return (await starting).bootstrap;
  } catch (err) {
    starting = undefined;
    throw err;
  }
}

/** Stops the run's private broker, if one was started. Never throws. */
export async function stopChaosKafka(): Promise<void> {
  const pending = starting;
  starting = undefined;
  const started = await pending?.catch(() => undefined);
  if (started?.port !== undefined) await kafkaDown(started.port);
}
