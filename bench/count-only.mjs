#!/usr/bin/env node
// The floor for any reader: flowaudit's capture reader with a sink that only counts packets.
import { readCapture } from '../dist/capture/read-capture.js';

let packets = 0;
const sink = { onPacket() { packets++; } };
for (const file of process.argv.slice(2)) await readCapture(file, sink);
console.log(`${packets} packets`);
