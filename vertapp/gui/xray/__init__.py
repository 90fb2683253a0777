"""The X-ray pair view: a low-/high-dose pair aligned, reviewed, corrected and exported."""
