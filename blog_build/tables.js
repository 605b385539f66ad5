// Starts DataTables (served by the site, loaded just before this) on the tables that itables
// outputs became: search, sorting and pages as in Jupyter, with no script from the notebook.
// Rows stay in the HTML, so the table reads the same without JavaScript, in feeds and in search.
for (const table of document.querySelectorAll("table.nb-datatable")) {
  // order: [] keeps the rows in the notebook's order until the reader sorts them.
  new DataTable(table, { order: [], pageLength: 10, autoWidth: false });
}
