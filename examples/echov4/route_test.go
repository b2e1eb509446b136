package main

// route is the http.route this example records for GET /api/users/:id.
const route = "/api/users/:id"
