import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { PlugschedError } from '../util/errors';

/** Read a YAML file, turning syntax errors into a message with the file, line and column. */
export function readYamlFile(path: string, shownAs: string = path): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PlugschedError(`${shownAs} cannot be read (${code ?? String(e)}). Check that the file exists and is readable.`);
  }
  try {
    return yaml.load(text, { filename: shownAs, schema: yaml.DEFAULT_SCHEMA });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const m = e.mark;
      const where = m ? ` at line ${m.line + 1}, column ${m.column + 1}` : '';
      throw new PlugschedError(`${shownAs} is not valid YAML${where}: ${e.reason}. Fix the syntax there (indentation, a missing ":" or an unclosed quote are the usual causes).`);
    }
    throw e;
  }
}
