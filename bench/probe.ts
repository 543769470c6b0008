import { generateJournal } from './journal-gen.js';
const t = performance.now();
const r = generateJournal(process.argv[2]!, Number(process.argv[3]));
console.log('gen ms', performance.now() - t, r);
