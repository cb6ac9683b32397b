// `npm run simulators`: starts every vendor simulator on 127.0.0.1 for manual use and the demo, prints how
// to reach each one, and runs until interrupted. `--https` serves them with the self-signed test
// certificate; SIMULATOR_PORT_BASE=9440 pins their ports (9440, 9441, …) instead of ephemeral ones.
import { simulatorVendors, startSimulator, type RunningSimulator } from '@app/simulators';

async function main(): Promise<void> {
  const https = process.argv.includes('--https');
  const base = process.env.SIMULATOR_PORT_BASE ? Number(process.env.SIMULATOR_PORT_BASE) : undefined;
  const running: RunningSimulator[] = [];
  for (const [index, vendor] of simulatorVendors().entries()) {
    running.push(await startSimulator(vendor, { https, ...(base ? { port: base + index } : {}) }));
  }
  for (const sim of running) {
    const target = sim.deviceTarget(`${sim.vendor}-sim`);
    process.stdout.write(
      `${sim.vendor.padEnd(9)} ${sim.url}\n` +
        `          credentials: ${JSON.stringify(sim.credentials)}\n` +
        (sim.tls.fingerprintSha256 ? `          tls: pin SHA-256 ${sim.tls.fingerprintSha256}\n` : '') +
        ('vdom' in target && target.vdom ? `          vdom: ${String(target.vdom)}\n` : ''),
    );
  }
  process.stdout.write('simulators running; Ctrl-C stops them\n');
  const stop = (): void => {
    void Promise.all(running.map((sim) => sim.stop())).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
