"""vertapp.xray"""
