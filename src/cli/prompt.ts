/** Asks for a secret on the terminal without echoing it. */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

export async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error("no terminal to ask for the password; set PARLEY_PASSWORD");
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}
