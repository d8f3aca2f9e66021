"""The baseline of bench/checkin_http.py: a bare Flask endpoint that reads a form and redirects."""
from flask import Flask, redirect, request

app = Flask(__name__)


@app.post("/bare")
def bare():
    request.form.get("nir")
    return redirect("/done", code=303)
