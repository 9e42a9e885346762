// Boots the vendored GraphiQL on GET /graphql. The session cookie authenticates; the unit is chosen
// with the X-Tenant header in GraphiQL's headers editor (remembered by GraphiQL in local storage).
(function () {
  var root = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({ url: "/graphql", credentials: "same-origin" });
  var tenant = root.getAttribute("data-tenant") || "";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: JSON.stringify({ "X-Tenant": tenant }, null, 2),
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: true,
    })
  );
})();
