// Validate HTML files with html-validate's accessibility preset (WCAG rules such as wcag/h63, <th scope>).
// Usage: node html_validate.mjs FILE...   Prints one JSON object per file; exit 1 when any file has errors.
// MJML's own wrapper (<div role="article" aria-roledescription="email">) is allowed: prefer-native-element.
import fs from "fs";
import { HtmlValidate } from "html-validate";

const validator = new HtmlValidate({ extends: ["html-validate:a11y"], rules: { "prefer-native-element": "off" } });
let failed = false;
for (const file of process.argv.slice(2)) {
  const report = await validator.validateString(fs.readFileSync(file, "utf8"), file);
  const errors = report.results.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message} (line ${m.line})`));
  if (errors.length) failed = true;
  console.log(JSON.stringify({ file, errors }));
}
process.exit(failed ? 1 : 0);
