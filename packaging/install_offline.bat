@echo off
rem Install VertApp from this folder of wheels, with no network (Windows wheelhouse).
rem   install.bat [VENV_DIR]     default: vertapp-venv beside this folder
setlocal
set HERE=%~dp0
set VENV=%~1
if "%VENV%"=="" set VENV=%HERE%..\vertapp-venv
py -3.11 -m venv "%VENV%" || exit /b 1
"%VENV%\Scripts\python" -m pip install --no-index --find-links "%HERE%" --upgrade pip || exit /b 1
"%VENV%\Scripts\python" -m pip install --no-index --find-links "%HERE%" vertapp || exit /b 1
"%VENV%\Scripts\vertapp" --version
