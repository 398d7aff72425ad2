// Lets a child process run the TypeScript sources directly (tests spawn CLIs without a build).
const fs = require('node:fs');
const ts = require('typescript');
const { compilerOptions } = require('../../tsconfig.json');

const options = { ...compilerOptions, module: ts.ModuleKind.CommonJS, moduleResolution: undefined, sourceMap: false, inlineSourceMap: true };
require.extensions['.ts'] = (module, filename) => {
  const output = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions: options, fileName: filename });
  module._compile(output.outputText, filename);
};
