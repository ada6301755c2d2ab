// Fails when an export of a package's public entry point has no TSDoc comment. Every package's
// `src/index.ts` (and `src/register.ts` where present) is checked with the TypeScript compiler:
// each exported symbol (through `export { … } from` and `export *`) must carry a documentation
// comment on its declaration. Prints the undocumented exports as `package: name (file:line)`.
//
//   node scripts/check-tsdoc.mjs [package-dir …]
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const requested = process.argv.slice(2);
const packageDirs =
  requested.length > 0
    ? requested.map((p) => resolve(p))
    : readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));

const entries = packageDirs.flatMap((dir) =>
  ['src/index.ts', 'src/register.ts'].map((file) => join(dir, file)).filter((file) => existsSync(file)),
);
const configPath = join(root, 'tsconfig.base.json');
const config = ts.parseJsonConfigFileContent(
  ts.readConfigFile(configPath, ts.sys.readFile).config,
  ts.sys,
  root,
);
const program = ts.createProgram(entries, { ...config.options, noEmit: true });
const checker = program.getTypeChecker();

const missing = [];
let checked = 0;
for (const entry of entries) {
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`check-tsdoc: cannot read ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) continue;
  const pkg = relative(root, dirname(dirname(entry)));
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.getDeclarations() ?? [];
    // Declarations in dependencies (re-exported TF.js types) are documented upstream.
    const own = declarations.filter((d) => !d.getSourceFile().fileName.includes('node_modules'));
    if (own.length === 0) continue;
    checked += 1;
    const documented =
      symbol.getDocumentationComment(checker).length > 0 ||
      own.some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
    if (!documented) {
      const first = own[0];
      const file = first.getSourceFile();
      const { line } = file.getLineAndCharacterOfPosition(first.getStart());
      missing.push(`${pkg}: ${exported.getName()} (${relative(root, file.fileName)}:${line + 1})`);
    }
  }
}

if (missing.length > 0) {
  console.error(`check-tsdoc: ${missing.length} of ${checked} exports have no TSDoc comment:`);
  for (const line of missing) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`check-tsdoc: all ${checked} exports of ${entries.length} entry points are documented`);
