print("ocislim")
