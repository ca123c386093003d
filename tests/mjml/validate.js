// Validate MJML files with the reference compiler at validationLevel "strict".
// Usage: node validate.js FILE...   Prints one JSON object per file; exit 1 when any file has errors.
const fs = require("fs");
const mjml2html = require("mjml");
let failed = false;
for (const file of process.argv.slice(2)) {
  const source = fs.readFileSync(file, "utf8");
  let errors = [];
  try {
    const result = mjml2html(source, { validationLevel: "strict", filePath: file });
    errors = result.errors || [];
  } catch (err) {
    errors = (err.errors || [{ formattedMessage: String(err.message || err) }]);
  }
  if (errors.length) failed = true;
  console.log(JSON.stringify({ file, errors: errors.map((e) => e.formattedMessage || e.message) }));
}
process.exit(failed ? 1 : 0);
